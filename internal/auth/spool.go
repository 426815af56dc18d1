package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrSpoolFull means the audit spool has reached its size bound: requests fail closed.
var ErrSpoolFull = errors.New("audit spool full")

// Spool is a local append-only file of audit rows that the database could not take (it was
// unreachable). Every append is fsync'd before it is acknowledged, every record carries a
// CRC-32C of its bytes, and the file is bounded in size. Rows are replayed into the audit log,
// in order, once the database is back; each carries a sequence number within the spool's random
// id, and the database records the highest one replayed in the same transaction as the rows
// (AuditReplayer), so an interrupted replay resumes with no row lost and none written twice.
//
// The file: records of a 4-byte big-endian payload length, a 4-byte CRC-32C (Castagnoli) of the
// payload and the JSON payload; the first record is the header {"spool": id}, the others
// {"seq": n, "e": AuditEntry}. A torn tail (a crash during an append, never acknowledged) is
// cut off when the spool is opened, and kept beside it for inspection.
type Spool struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	maxBytes int64
	id       string
	nextSeq  int64
	size     int64 // bytes in the file
	readOff  int64 // offset of the first record not yet replayed
	rows     int64 // records not yet replayed

	rowsGauge, bytesGauge Gauge
}

// Gauge is a metric the spool keeps current (a Prometheus gauge).
type Gauge interface{ Set(float64) }

// Watch makes the spool report the rows and bytes waiting to be replayed to rows and bytes.
func (s *Spool) Watch(rows, bytes Gauge) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rowsGauge, s.bytesGauge = rows, bytes
	s.report()
}

// report sets the gauges; s.mu is held.
func (s *Spool) report() {
	if s.rowsGauge != nil {
		s.rowsGauge.Set(float64(s.rows))
	}
	if s.bytesGauge != nil {
		s.bytesGauge.Set(float64(s.size - s.readOff))
	}
}

// SpoolRecord is one spooled audit row.
type SpoolRecord struct {
	Seq   int64      `json:"seq"`
	Entry AuditEntry `json:"e"`
}

// AuditReplayer stores spooled rows: in one transaction it writes the records whose sequence
// number is above the one recorded for spoolID, and records the last one.
type AuditReplayer interface {
	ReplayAudit(ctx context.Context, spoolID string, records []SpoolRecord) (written int, err error)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const maxSpoolRecord = 1 << 20

// OpenSpool opens (or creates) the spool in dir, bounded to maxBytes.
func OpenSpool(dir string, maxBytes int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit spool: %w", err)
	}
	s := &Spool{path: filepath.Join(dir, "audit-spool.log"), maxBytes: maxBytes}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit spool: %w", err)
	}
	s.f = f
	if err := s.load(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// load reads the file: its id, the next sequence number and where the rows start; it cuts off
// a torn tail.
func (s *Spool) load() error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	r := bufio.NewReader(s.f)
	var off int64
	first := true
	for {
		payload, n, err := readRecord(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return s.cutTail(off, err)
		}
		if first {
			var h struct {
				Spool string `json:"spool"`
			}
			if json.Unmarshal(payload, &h) != nil || h.Spool == "" {
				return s.cutTail(off, errors.New("no header"))
			}
			s.id, first = h.Spool, false
			off += n
			s.readOff = off
			continue
		}
		var rec SpoolRecord
		if err := json.Unmarshal(payload, &rec); err != nil {
			return s.cutTail(off, err)
		}
		s.nextSeq = rec.Seq + 1
		s.rows++
		off += n
	}
	s.size = off
	if s.id == "" {
		return s.reset()
	}
	return nil
}

// cutTail keeps the bytes from off on in a file beside the spool and truncates the spool there.
func (s *Spool) cutTail(off int64, why error) error {
	s.rows = 0 // load counts them again
	end, err := s.f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	tail := make([]byte, end-off)
	if _, err := s.f.ReadAt(tail, off); err != nil && err != io.EOF {
		return fmt.Errorf("audit spool: %w", err)
	}
	aside := fmt.Sprintf("%s.torn-%d", s.path, time.Now().UnixNano())
	if err := os.WriteFile(aside, tail, 0o600); err != nil {
		return fmt.Errorf("audit spool: keep the torn tail (%v): %w", why, err)
	}
	if err := s.f.Truncate(off); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	return s.load()
}

func readRecord(r *bufio.Reader) ([]byte, int64, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		return nil, 0, fmt.Errorf("short record header: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n > maxSpoolRecord {
		return nil, 0, fmt.Errorf("record of %d bytes", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, 0, fmt.Errorf("short record: %w", err)
	}
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
		return nil, 0, errors.New("checksum mismatch")
	}
	return payload, int64(8 + n), nil
}

func appendRecord(buf []byte, payload []byte) []byte {
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(hdr[4:], crc32.Checksum(payload, castagnoli))
	return append(append(buf, hdr[:]...), payload...)
}

// reset empties the file and gives it a new id: every row of the old id has been replayed.
func (s *Spool) reset() error {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	id := hex.EncodeToString(b[:])
	h, _ := json.Marshal(map[string]string{"spool": id})
	rec := appendRecord(nil, h)
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	if _, err := s.f.WriteAt(rec, 0); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		return err
	}
	s.id, s.nextSeq, s.size, s.readOff, s.rows = id, 1, int64(len(rec)), int64(len(rec)), 0
	s.report()
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	return nil
}

// Append writes entries and returns once they are on disk; ErrSpoolFull when they would not fit.
func (s *Spool) Append(entries ...AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("audit spool: closed")
	}
	var buf []byte
	seq := s.nextSeq
	for _, e := range entries {
		p, err := json.Marshal(SpoolRecord{Seq: seq, Entry: e})
		if err != nil {
			return fmt.Errorf("audit spool: %w", err)
		}
		buf = appendRecord(buf, p)
		seq++
	}
	if s.size+int64(len(buf)) > s.maxBytes {
		return fmt.Errorf("audit spool: %d of %d bytes used: %w", s.size, s.maxBytes, ErrSpoolFull)
	}
	if _, err := s.f.WriteAt(buf, s.size); err != nil {
		_ = s.f.Truncate(s.size)
		return fmt.Errorf("audit spool: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		// Whether the bytes are durable is unknown: they are not acknowledged, and cut off so
		// a later append does not follow a hole.
		_ = s.f.Truncate(s.size)
		return fmt.Errorf("audit spool: fsync: %w", err)
	}
	s.size += int64(len(buf))
	s.nextSeq = seq
	s.rows += int64(len(entries))
	s.report()
	return nil
}

// Pending reports whether rows wait to be replayed.
func (s *Spool) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f != nil && s.readOff < s.size
}

// Stats returns the bytes used and the bound (metrics, tests).
func (s *Spool) Stats() (used, max int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size, s.maxBytes
}

// Replay hands up to n rows, in order, to r and moves past them once r has stored them; when
// the spool is empty it starts a new one. It returns the rows written (rows r had already
// stored before an interruption are skipped by r, not written twice).
func (s *Spool) Replay(ctx context.Context, r AuditReplayer, n int) (int, error) {
	recs, end, err := s.next(n)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	// The database is asked without the lock held: appends go on meanwhile. Only one caller
	// replays at a time (the Auditor's loop), so nothing else moves readOff.
	written, err := r.ReplayAudit(ctx, s.id, recs)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOff = end
	s.rows -= int64(len(recs))
	s.report()
	if s.f != nil && s.readOff >= s.size {
		if err := s.reset(); err != nil {
			return written, err
		}
	}
	return written, nil
}

// next reads up to n records from the replay position and returns them and the offset after.
func (s *Spool) next(n int) ([]SpoolRecord, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil || s.readOff >= s.size {
		return nil, 0, nil
	}
	sr := bufio.NewReader(io.NewSectionReader(s.f, s.readOff, s.size-s.readOff))
	var recs []SpoolRecord
	off := s.readOff
	for len(recs) < n && off < s.size {
		payload, size, err := readRecord(sr)
		if err != nil {
			return nil, 0, fmt.Errorf("audit spool: record at byte %d: %w", off, err)
		}
		var rec SpoolRecord
		if err := json.Unmarshal(payload, &rec); err != nil {
			return nil, 0, fmt.Errorf("audit spool: record at byte %d: %w", off, err)
		}
		recs = append(recs, rec)
		off += size
	}
	return recs, off, nil
}

// Close closes the file; rows not yet replayed stay in it for the next start.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
