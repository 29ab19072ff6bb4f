package demo_test

import (
	"time"

	"github.com/luoshi/luoshi/internal/calendar"
)

func calendarToday() string { return calendar.FormatDay(calendar.Today(time.Now())) }
