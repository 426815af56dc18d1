package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TileCache is what the tile service (and the cache of OGC API items pages) reports about its
// cache.
type TileCache interface {
	// CacheStats returns the lookups that hit and missed since the start, and what is held.
	CacheStats() (hits, misses int64, entries int, bytes int64)
}

// WatchTiles reports tc's cache: hits and misses (the hit ratio over a window is
// rate(hits) / (rate(hits) + rate(misses))), the ratio since the start, entries and bytes.
func (m *Registry) WatchTiles(tc TileCache) {
	m.reg.MustRegister(newCacheCollector(tc, "lagesbild_tile_cache", "Tile lookups", "Tiles", "Bytes of gzipped tiles"))
}

// WatchOGCItems reports the cache of OGC API items pages as WatchTiles does the tiles'
// (lagesbild_ogc_items_cache_*); bytes are the pages' estimated size in memory.
func (m *Registry) WatchOGCItems(c TileCache) {
	m.reg.MustRegister(newCacheCollector(c, "lagesbild_ogc_items_cache", "OGC API items lookups", "Items pages",
		"Estimated bytes of the items pages"))
}

func newCacheCollector(tc TileCache, prefix, lookups, things, bytes string) *cacheCollector {
	return &cacheCollector{tc: tc,
		hits:    prometheus.NewDesc(prefix+"_hits_total", lookups+" answered from the in-process cache.", nil, nil),
		misses:  prometheus.NewDesc(prefix+"_misses_total", lookups+" that had to read or render.", nil, nil),
		ratio:   prometheus.NewDesc(prefix+"_hit_ratio", "Hits over lookups since the start (0 before the first lookup).", nil, nil),
		entries: prometheus.NewDesc(prefix+"_entries", things+" held in the cache.", nil, nil),
		bytes:   prometheus.NewDesc(prefix+"_bytes", bytes+" held in the cache.", nil, nil),
	}
}

type cacheCollector struct {
	tc                                  TileCache
	hits, misses, ratio, entries, bytes *prometheus.Desc
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.hits
	ch <- c.misses
	ch <- c.ratio
	ch <- c.entries
	ch <- c.bytes
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	hits, misses, entries, bytes := c.tc.CacheStats()
	ratio := 0.0
	if hits+misses > 0 {
		ratio = float64(hits) / float64(hits+misses)
	}
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(hits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(misses))
	ch <- prometheus.MustNewConstMetric(c.ratio, prometheus.GaugeValue, ratio)
	ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(entries))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(bytes))
}

// PoolStat describes one database connection pool.
type PoolStat struct {
	// Pool names it: owner, reader, audit, or replica-N for the N-th read replica (from 1).
	Pool                           string
	Total, Idle, Acquired, Max     int32
	Acquires, EmptyAcquires        int64 // EmptyAcquires waited for a connection
	CanceledAcquires               int64
	AcquireWait                    time.Duration // total time spent acquiring
	ReadTransactions               int64         // read transactions begun on it
	ReplicaDown, ReplicaBehind     bool          // replicas only: unreachable, or behind the primary's data version
	ReplicaFallbacks, ReplicaStale int64         // replicas only: reads sent to the primary because it was down or behind
}

// WatchPools reports the pools stats returns at each scrape.
func (m *Registry) WatchPools(stats func() []PoolStat) {
	l := []string{"pool"}
	m.reg.MustRegister(&poolCollector{stats: stats,
		conns:    prometheus.NewDesc("lagesbild_db_pool_connections", "Connections of the pool by state (idle, acquired).", []string{"pool", "state"}, nil),
		max:      prometheus.NewDesc("lagesbild_db_pool_max_connections", "The pool's bound on connections.", l, nil),
		acquires: prometheus.NewDesc("lagesbild_db_pool_acquires_total", "Connections acquired from the pool.", l, nil),
		empty:    prometheus.NewDesc("lagesbild_db_pool_empty_acquires_total", "Acquires that had to wait because no connection was idle.", l, nil),
		canceled: prometheus.NewDesc("lagesbild_db_pool_canceled_acquires_total", "Acquires given up by their caller.", l, nil),
		wait:     prometheus.NewDesc("lagesbild_db_pool_acquire_seconds_total", "Time spent acquiring connections.", l, nil),
		reads:    prometheus.NewDesc("lagesbild_db_read_transactions_total", "Read transactions begun on the pool.", l, nil),
		up:       prometheus.NewDesc("lagesbild_db_replica_up", "1 while the read replica answers and is not behind the primary's data version.", l, nil),
		fallback: prometheus.NewDesc("lagesbild_db_replica_fallbacks_total", "Reads sent to the primary instead of the replica, by reason (down, behind).", []string{"pool", "reason"}, nil),
	})
}

type poolCollector struct {
	stats                                                            func() []PoolStat
	conns, max, acquires, empty, canceled, wait, reads, up, fallback *prometheus.Desc
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.max, c.acquires, c.empty, c.canceled, c.wait, c.reads, c.up, c.fallback} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.stats() {
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.Idle), s.Pool, "idle")
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.Acquired), s.Pool, "acquired")
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(s.Max), s.Pool)
		ch <- prometheus.MustNewConstMetric(c.acquires, prometheus.CounterValue, float64(s.Acquires), s.Pool)
		ch <- prometheus.MustNewConstMetric(c.empty, prometheus.CounterValue, float64(s.EmptyAcquires), s.Pool)
		ch <- prometheus.MustNewConstMetric(c.canceled, prometheus.CounterValue, float64(s.CanceledAcquires), s.Pool)
		ch <- prometheus.MustNewConstMetric(c.wait, prometheus.CounterValue, s.AcquireWait.Seconds(), s.Pool)
		ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(s.ReadTransactions), s.Pool)
		if len(s.Pool) > 8 && s.Pool[:8] == "replica-" {
			up := 1.0
			if s.ReplicaDown || s.ReplicaBehind {
				up = 0
			}
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, s.Pool)
			ch <- prometheus.MustNewConstMetric(c.fallback, prometheus.CounterValue, float64(s.ReplicaFallbacks), s.Pool, "down")
			ch <- prometheus.MustNewConstMetric(c.fallback, prometheus.CounterValue, float64(s.ReplicaStale), s.Pool, "behind")
		}
	}
}

// WatchAuditQueue reports the audit rows waiting for their group commit; rows is read at each
// scrape.
func (m *Registry) WatchAuditQueue(rows func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "lagesbild_audit_queue_rows",
		Help: "Audit rows waiting for their group commit.",
	}, func() float64 { return float64(rows()) }))
}

// WatchAuditCommits reports the audit batches committed (or spooled) and their rows; their
// ratio is the group commit's batch size.
func (m *Registry) WatchAuditCommits(stats func() (commits, rows int64)) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "lagesbild_audit_commits_total",
		Help: "Audit batches committed (or spooled), each one transaction.",
	}, func() float64 { c, _ := stats(); return float64(c) }))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "lagesbild_audit_rows_total",
		Help: "Audit rows committed (or spooled) in those batches.",
	}, func() float64 { _, r := stats(); return float64(r) }))
}
