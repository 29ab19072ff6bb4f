package store

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"time"
)

// SQLite copies the write-ahead log back into the database file in a
// checkpoint. By default the connection whose commit pushes the log past 1,000
// pages runs it, inside that commit: the commit (and everything acknowledged
// with it, such as a batch of public submissions) waits for the copy and two
// more flushes. Here the writer never checkpoints (wal_autocheckpoint=0); a
// background connection runs PASSIVE checkpoints instead, which never block
// the writer or the readers. When the checkpoint has caught up and no reader
// still needs the old frames, the writer starts the log from the beginning
// again, so the log stays as small as with automatic checkpoints. Closing the
// database runs a last full checkpoint, as before.

// checkpointEvery is how often the checkpointer looks at the log.
const checkpointEvery = time.Second

// checkpointer runs PASSIVE checkpoints on a connection of its own until stopped.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

func startCheckpointer(dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	c := &checkpointer{db: db, stop: make(chan struct{})}
	c.done.Add(1)
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.checkpoint()
		}
	}
}

// checkpoint copies what it can of the log into the database file. Errors are
// not fatal: a busy or failed checkpoint is retried at the next tick, and the
// log only grows meanwhile.
func (c *checkpointer) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, log, done int
	c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
}

// close stops the checkpoints; a second close does nothing (DB.Close may be
// called twice, as sql.DB's Close may).
func (c *checkpointer) close() error {
	c.once.Do(func() { close(c.stop) })
	c.done.Wait()
	return c.db.Close()
}

// walRestartAt is the size of the log past which the writer checkpoints
// after a commit, and to which the log file is cut when it starts again
// (journal_size_limit). The log starts again from the beginning only when a
// write transaction begins with every frame already copied into the file;
// under a continuous stream of write transactions (a search index build, an
// import) the background checkpoints are always a transaction behind, so the
// log only grew: 6 GB in a million-item index build, where every page read
// searched the log's hash tables and went through a read call, and the
// build's CPU per item tripled as it grew. A PASSIVE checkpoint on the
// writer's own connection between its transactions copies what the
// background ones left (little), so the next transaction starts the log
// again, unless a reader still reads old frames (a later commit tries again).
// It never waits for readers or blocks them.
var walRestartAt = 64 << 20

// afterCommit checkpoints on the writer's connection when the log file has
// grown past walRestartAt (see there); SQLite only. Errors are left to the
// background checkpoints: the commit has succeeded either way.
func (db *DB) afterCommit(ctx context.Context) {
	if db.ckpt == nil {
		return
	}
	if fi, err := os.Stat(db.Path + "-wal"); err != nil || fi.Size() <= int64(walRestartAt) {
		return
	}
	db.Write.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
}
