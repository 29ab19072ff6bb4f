package project

import "github.com/luoshi/luoshi/internal/text"

// maskPublic hides personal data (phone, ID and bank card numbers, e-mail
// addresses: text.Mask) in what a public project page or the public API
// shows; staff pages read the project unmasked.
func maskPublic(pr *Project) {
	pr.Title, pr.Beneficiaries = text.Mask(pr.Title), text.Mask(pr.Beneficiaries)
	pr.Plan, pr.Measures = text.Mask(pr.Plan), text.Mask(pr.Measures)
	for i := range pr.Milestones {
		m := &pr.Milestones[i]
		m.What, m.Note = text.Mask(m.What), text.Mask(m.Note)
	}
}
