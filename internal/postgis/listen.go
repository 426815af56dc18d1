package postgis

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuthChannel is the channel on which the database announces changes to tokens, users and
// sessions (migration 00015): payloads "token:<id>", "user:<id>" or "all".
const AuthChannel = "lagesbild_auth"

// Listener receives the notifications of one channel.
type Listener interface {
	// Connected is called each time the listener is (again) listening: notifications sent
	// before may have been missed.
	Connected()
	// Notify is called with the payload of each notification, in order.
	Notify(payload string)
	// Lost is called when the connection is gone; notifications may now be missed.
	Lost(err error)
}

// Listen listens on channel on a connection of its own and hands the notifications to l until
// ctx ends, reconnecting (within two seconds of the database's return) whenever the connection
// is lost. The connection is pinged when quiet, so a silently vanished server is noticed.
func (db *DB) Listen(ctx context.Context, channel string, l Listener) {
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, channel, l)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			db.logger.Warn("notification listener lost; reconnecting", "channel", channel, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (db *DB) listenOnce(ctx context.Context, channel string, l Listener) (err error) {
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	conn, err := pgx.ConnectConfig(cctx, db.pool.Config().ConnConfig)
	cancel()
	if err != nil {
		return translate(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return translate(err)
	}
	l.Connected()
	defer func() {
		if ctx.Err() == nil {
			l.Lost(err)
		}
	}()
	for {
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, context.DeadlineExceeded):
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return translate(err)
			}
			continue
		case err != nil:
			return translate(err)
		}
		l.Notify(n.Payload)
	}
}
