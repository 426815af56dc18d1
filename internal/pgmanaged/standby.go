package pgmanaged

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// replicationHBA lets password (SCRAM) replication connections in from loopback, which
// pg_basebackup and a standby's WAL receiver use ("all" in the database column does not match
// them).
const replicationHBA = "host    replication all   127.0.0.1/32  scram-sha-256\n" +
	"host    replication all   ::1/128       scram-sha-256\n"

// StartStandby makes sure a hot standby of primary runs from o.DataDir and returns it: on first
// use it copies the primary with pg_basebackup -R (WAL streamed along, standby.signal and
// primary_conninfo written for it), then it starts the copy like Start does, on a loopback port
// of its own. The standby is read-only and follows the primary by streaming replication; its
// superuser and password are the primary's. Later calls reuse or restart the same standby. The
// primary gets a pg_hba line for replication from loopback if it lacks one (clusters initialised
// before the line was added to initdb).
func StartStandby(ctx context.Context, primary *Cluster, o Options) (*Cluster, error) {
	logger := o.Logger
	if logger == nil {
		logger = primary.logger
	}
	if dataDir, err := prepareDataDir(o.DataDir); err != nil {
		return nil, err
	} else if dataDir == primary.dataDir {
		return nil, fmt.Errorf("pgmanaged: a standby needs a data dir of its own, not the primary's %s", dataDir)
	}
	return startCluster(ctx, o, logger, &primary.inst, func(c *Cluster) error {
		if err := primary.allowReplication(ctx); err != nil {
			return err
		}
		if err := c.basebackup(ctx, primary, o.Fast); err != nil {
			return err
		}
		return writePassword(c.dataDir, primary.password)
	})
}

// allowReplication adds replicationHBA to the cluster's pg_hba.conf and reloads it, unless a
// replication line is there already.
func (c *Cluster) allowReplication(ctx context.Context) error {
	path := filepath.Join(c.pgdata, "pg_hba.conf")
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if f := bytes.Fields(line); len(f) > 2 && f[0][0] != '#' && string(f[1]) == "replication" {
			return nil
		}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	_, werr := f.WriteString("# Added by lagesbild (internal/pgmanaged) for a standby.\n" + replicationHBA)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("pgmanaged: pg_hba.conf: %w", err)
	}
	if out, err := c.user.command(ctx, c.inst.bin("pg_ctl"), "reload", "-D", c.pgdata, "-s").CombinedOutput(); err != nil {
		return fmt.Errorf("pgmanaged: pg_ctl reload: %w: %s", err, bytes.TrimSpace(out))
	}
	c.logger.Info("pgmanaged: allowed replication connections from loopback", "data_dir", c.dataDir)
	return nil
}

// basebackup copies primary into a temporary directory with pg_basebackup -R and renames it
// into place when complete, so an interrupted copy never looks like a data directory.
func (c *Cluster) basebackup(ctx context.Context, primary *Cluster, fast bool) error {
	tmp := c.pgdata + ".basebackup"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgmanaged: remove leftover %s: %w", tmp, err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	if err := c.user.chown(tmp); err != nil {
		return err
	}
	wctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	args := []string{"-D", tmp, "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port), "-U", Superuser,
		"-R", "-X", "stream", "-c", "fast", "-w"}
	if fast {
		args = append(args, "--no-sync")
	}
	cmd := c.user.command(wctx, c.inst.bin("pg_basebackup"), args...)
	cmd.Env = append(cmd.Env, "PGPASSWORD="+primary.password, "PGCONNECT_TIMEOUT=10")
	c.logger.Info("pgmanaged: copying the primary for a standby", "primary_port", primary.port, "data_dir", c.pgdata)
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("pgmanaged: pg_basebackup: %w\n%s", err, lastLines(string(out), 20))
	}
	if err := os.Rename(tmp, c.pgdata); err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	return nil
}
