package org

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"strings"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/store"
)

// RootCode is the code of the top unit a fresh deployment starts with.
const RootCode = "root"

// Bootstrap prepares an empty database: the top unit and the user "admin"
// holding the admin role over the whole tree. The password is adminPassword,
// or a random one when empty. It returns the password it set, or "" when the
// database already had users (nothing is changed then).
func Bootstrap(ctx context.Context, db *store.DB, adminPassword string) (string, error) {
	var pw string
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if n, err := CountUsers(ctx, tx); err != nil || n > 0 {
			return err
		}
		pw = adminPassword
		if pw == "" {
			pw = RandomPassword()
		}
		root, err := firstRoot(ctx, tx)
		if err != nil {
			return err
		}
		if root == "" {
			u, err := CreateUnitTx(ctx, tx, systemPrincipal, UnitInput{Code: RootCode, Name: "本级单位"})
			if err != nil {
				return err
			}
			root = u.Code
		}
		_, err = CreateUserTx(ctx, tx, nil, UserInput{Username: "admin", Name: "系统管理员", UnitCode: root,
			Roles: []RoleGrant{{Role: string(RoleAdmin)}}, Password: pw}, true)
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: audit.System, Action: "system.bootstrap", ObjectType: "user", ObjectID: "admin"})
		return err
	})
	return pw, err
}

func firstRoot(ctx context.Context, tx *sql.Tx) (string, error) {
	var code string
	err := tx.QueryRowContext(ctx, `SELECT code FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&code)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return code, err
}

// RandomPassword returns a 20-character password (100 bits), easy to type.
func RandomPassword() string {
	b := make([]byte, 13)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
}

// SystemPrincipal acts with admin rights over the whole tree. Only start-up
// work (bootstrap, the demo, bench data) uses it; no request ever gets it.
func SystemPrincipal() *Principal { return systemPrincipal }
