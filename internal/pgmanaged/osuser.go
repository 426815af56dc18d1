package pgmanaged

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// osUser is the OS account that owns PGDATA and runs initdb/pg_ctl/postgres.
type osUser struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32 // supplementary groups, as the kernel would see them after login
	// switchTo is true when we are root and must drop to this user for the
	// server binaries, which refuse to run as root.
	switchTo bool
}

// fallbackUserName is created when we run as root and there is no postgres
// account (e.g. PostgreSQL built from source).
const fallbackUserName = "lagesbild"

// clusterUser decides who runs the cluster. Not root: ourselves. Root: the
// owner of an existing PGDATA (so a data dir keeps working whichever account
// created it), else postgres, else a dedicated system user we create.
func clusterUser(ctx context.Context, pgdata string, logger *slog.Logger) (osUser, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return osUser{}, fmt.Errorf("pgmanaged: current user: %w", err)
		}
		ou, err := toOSUser(u)
		if err != nil {
			return osUser{}, err
		}
		if fi, err := os.Stat(pgdata); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != ou.uid {
				return osUser{}, fmt.Errorf("pgmanaged: %s belongs to uid %d, not to you (%s): run as that user or as root", pgdata, st.Uid, ou.name)
			}
		}
		return ou, nil
	}

	if fi, err := os.Stat(pgdata); err == nil {
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok && st.Uid != 0 {
			u, err := user.LookupId(strconv.Itoa(int(st.Uid)))
			if err != nil {
				return osUser{}, fmt.Errorf("pgmanaged: owner of %s (uid %d): %w", pgdata, st.Uid, err)
			}
			return switchUser(u)
		}
		if ok && st.Uid == 0 {
			return osUser{}, fmt.Errorf("pgmanaged: %s is owned by root, which PostgreSQL refuses: chown -R postgres: %s (or remove it to re-initialise)", pgdata, pgdata)
		}
	}

	if u, err := user.Lookup("postgres"); err == nil {
		return switchUser(u)
	}
	if u, err := user.Lookup(fallbackUserName); err == nil {
		return switchUser(u)
	}
	logger.Info("pgmanaged: creating system user for the local PostgreSQL cluster", "user", fallbackUserName)
	cmd := exec.CommandContext(ctx, "useradd", "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", fallbackUserName)
	out, err := cmd.CombinedOutput()
	// Another process may have created it between our lookup and useradd.
	if u, lerr := user.Lookup(fallbackUserName); lerr == nil {
		return switchUser(u)
	}
	if err != nil {
		return osUser{}, fmt.Errorf("pgmanaged: useradd %s: %w: %s", fallbackUserName, err, strings.TrimSpace(string(out)))
	}
	return osUser{}, fmt.Errorf("pgmanaged: user %s not found after useradd", fallbackUserName)
}

func switchUser(u *user.User) (osUser, error) {
	ou, err := toOSUser(u)
	if err != nil {
		return osUser{}, err
	}
	if ou.uid == 0 {
		return osUser{}, fmt.Errorf("pgmanaged: cluster user %s has uid 0; PostgreSQL refuses to run as root", ou.name)
	}
	ou.switchTo = true
	return ou, nil
}

func toOSUser(u *user.User) (osUser, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return osUser{}, fmt.Errorf("pgmanaged: uid of %s: %w", u.Username, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return osUser{}, fmt.Errorf("pgmanaged: gid of %s: %w", u.Username, err)
	}
	ou := osUser{name: u.Username, uid: uint32(uid), gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil {
				ou.groups = append(ou.groups, uint32(g))
			}
		}
	}
	if !slices.Contains(ou.groups, ou.gid) {
		ou.groups = append(ou.groups, ou.gid)
	}
	return ou, nil
}

// command prepares a PostgreSQL binary to run as the cluster user. The
// working directory is / because the caller's directory (often below a 0700
// home) may be unreachable for that user, which makes initdb complain.
func (u osUser) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = "/"
	cmd.Env = cleanEnv()
	if u.switchTo {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups},
		}
	}
	return cmd
}

// chown gives a file we created as root to the cluster user; a no-op when we
// already are that user.
func (u osUser) chown(path string) error {
	if !u.switchTo {
		return nil
	}
	if err := os.Lchown(path, int(u.uid), int(u.gid)); err != nil {
		return fmt.Errorf("pgmanaged: chown %s to %s: %w", path, u.name, err)
	}
	return nil
}

// cleanEnv is the caller's environment minus everything that would redirect
// the PostgreSQL tools (PG* variables, e.g. a PGHOST meant for another
// server) or change their language (we parse a few messages), with a
// harmless HOME because the cluster user may not be able to read ours.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PG"), strings.HasPrefix(k, "LC_"),
			k == "LANG", k == "LANGUAGE", k == "HOME":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME=/", "LC_ALL=C")
}

// ensureTraversable makes sure the cluster user can reach dir: it needs
// search (x) permission on dir and on every parent. Repositories often live
// below a 0700 home directory; we add a narrow ACL entry (u:USER:x) rather
// than opening the directory to everyone with chmod o+x.
func ensureTraversable(ctx context.Context, dir string, u osUser, logger *slog.Logger) error {
	if !u.switchTo {
		return nil
	}
	var blocked []string
	for p := dir; ; p = filepath.Dir(p) {
		ok, err := canTraverse(p, u)
		if err != nil {
			return err
		}
		if !ok {
			blocked = append(blocked, p)
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	if len(blocked) == 0 {
		return nil
	}
	slices.Reverse(blocked) // top-down reads better in logs and errors

	setfacl, lookErr := exec.LookPath("setfacl")
	for _, p := range blocked {
		if lookErr != nil {
			return fmt.Errorf("pgmanaged: PostgreSQL runs as %s, which cannot enter %s, and setfacl is not installed: install acl (scripts/install-deps.sh postgis) or run setfacl -m u:%s:x %s, or use a LAGESBILD_DATA_DIR outside it",
				u.name, p, u.name, p)
		}
		out, err := exec.CommandContext(ctx, setfacl, "-m", "u:"+u.name+":x", p).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pgmanaged: PostgreSQL runs as %s, which cannot enter %s, and setfacl -m u:%s:x %s failed (%v: %s): grant access yourself or use a LAGESBILD_DATA_DIR outside it",
				u.name, p, u.name, p, err, strings.TrimSpace(string(out)))
		}
		if ok, err := canTraverse(p, u); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("pgmanaged: granted %s search permission on %s with setfacl, but it still cannot enter it: grant access yourself or use a LAGESBILD_DATA_DIR outside it", u.name, p)
		}
		logger.Info("pgmanaged: granted the cluster user search permission", "dir", p, "user", u.name, "acl", "u:"+u.name+":x")
	}
	return nil
}

// POSIX ACL xattr layout (linux/posix_acl_xattr.h).
const (
	aclXattrVersion = 2
	aclUserObj      = 0x01
	aclUser         = 0x02
	aclGroupObj     = 0x04
	aclGroup        = 0x08
	aclMask         = 0x10
	aclOther        = 0x20
	permExec        = 0x1
)

type aclEntry struct {
	tag  uint16
	perm uint16
	id   uint32
}

// canTraverse reports whether u has search (x) permission on dir, following
// the kernel's permission check including POSIX ACLs, so that directories we
// (or an admin) already fixed with setfacl are recognised. Root-only callers
// use this instead of a syscall because access(2) checks the caller, not u.
func canTraverse(dir string, u osUser) (bool, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return false, fmt.Errorf("pgmanaged: stat %s: %w", dir, err)
	}
	if u.uid == 0 {
		return true, nil
	}
	mode := st.Mode & 0o777
	acl, err := readACL(dir)
	if err != nil {
		return false, err
	}
	if acl == nil {
		switch {
		case st.Uid == u.uid:
			return mode&0o100 != 0, nil
		case slices.Contains(u.groups, st.Gid):
			return mode&0o010 != 0, nil
		default:
			return mode&0o001 != 0, nil
		}
	}
	return aclAllowsExec(acl, st.Uid, st.Gid, u), nil
}

// aclAllowsExec is the POSIX.1e access check algorithm for the x bit.
func aclAllowsExec(acl []aclEntry, owner, group uint32, u osUser) bool {
	mask := uint16(0o7)
	for _, e := range acl {
		if e.tag == aclMask {
			mask = e.perm
		}
	}
	if owner == u.uid {
		for _, e := range acl {
			if e.tag == aclUserObj {
				return e.perm&permExec != 0
			}
		}
		return false
	}
	for _, e := range acl {
		if e.tag == aclUser && e.id == u.uid {
			return e.perm&mask&permExec != 0
		}
	}
	matched := false
	for _, e := range acl {
		var member bool
		switch e.tag {
		case aclGroupObj:
			member = slices.Contains(u.groups, group)
		case aclGroup:
			member = slices.Contains(u.groups, e.id)
		}
		if member {
			matched = true
			if e.perm&mask&permExec != 0 {
				return true
			}
		}
	}
	if matched {
		return false
	}
	for _, e := range acl {
		if e.tag == aclOther {
			return e.perm&permExec != 0
		}
	}
	return false
}

// readACL returns dir's access ACL, or nil when it has none beyond the mode
// bits (or the filesystem does not support ACLs).
func readACL(dir string) ([]aclEntry, error) {
	buf := make([]byte, 512)
	for {
		n, err := syscall.Getxattr(dir, "system.posix_acl_access", buf)
		if errors.Is(err, syscall.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if errors.Is(err, syscall.ENODATA) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("pgmanaged: read ACL of %s: %w", dir, err)
		}
		return parseACL(buf[:n])
	}
}

func parseACL(b []byte) ([]aclEntry, error) {
	if len(b) < 4 || (len(b)-4)%8 != 0 || binary.LittleEndian.Uint32(b) != aclXattrVersion {
		return nil, fmt.Errorf("pgmanaged: unexpected ACL format (%d bytes)", len(b))
	}
	var out []aclEntry
	for p := b[4:]; len(p) >= 8; p = p[8:] {
		out = append(out, aclEntry{
			tag:  binary.LittleEndian.Uint16(p[0:]),
			perm: binary.LittleEndian.Uint16(p[2:]),
			id:   binary.LittleEndian.Uint32(p[4:]),
		})
	}
	return out, nil
}
