package main

import (
	"math"

	"github.com/batchinfer/batchinfer/store"
)

// Writes is what one job costs the results table, in request units, as
// DynamoDB bills them: a write unit per started KB of the item written, in
// the table and again in every index the write touches; an update that
// changes an index's key (status, or updated_at as its sort key) is a
// delete of the old entry and a put of the new one there.
type Writes struct {
	Table       float64 // write units on the table
	Index       float64 // write units on the status index, all partitions
	IndexHotKey float64 // write units on the busiest index partition key (the SUCCEEDED entries)
	Reads       float64 // read units (the consistent duplicate lookup)
	// Legacy and LegacyHotKey are the old index's, when it is kept beside
	// the sharded one (Deployment.LegacyStatusIndex).
	Legacy, LegacyHotKey float64
}

// indexEntryBytes is a sharded index entry (KEYS_ONLY/INCLUDE projection:
// job_id, status_shard, updated_at and the few listed attributes).
const indexEntryBytes = 200

func units(bytes float64, unit float64) float64 { return math.Max(1, math.Ceil(bytes/unit)) }

// writesPerJob is the mean of single jobs (one conditional PutItem) and
// record files (claim, a progress update per output part, completion).
func writesPerJob(d Deployment, p Profile) Writes {
	item := float64(p.ItemBytes + min(d.OutputBytes, store.MaxInlineOutputBytes))
	if d.OutputBytes > store.MaxInlineOutputBytes {
		item = float64(p.ItemBytes) + 300 // a summary and output_uri
	}
	claim := float64(p.ItemBytes)
	fileItem := float64(p.ItemBytes) + 300 // a file's counts as output
	// idx is an index entry's write units for an item of so many bytes:
	// the whole item under projection ALL (the old index), a small entry
	// under the sharded one.
	idx := func(bytes float64) float64 {
		if d.StatusShards == 0 {
			return units(bytes, WriteUnitBytes)
		}
		return units(indexEntryBytes, WriteUnitBytes)
	}
	w := writesWith(d, p, item, claim, fileItem, idx)
	if d.LegacyStatusIndex && d.StatusShards > 0 {
		all := func(bytes float64) float64 { return units(bytes, WriteUnitBytes) }
		old := writesWith(d, p, item, claim, fileItem, all)
		w.Legacy, w.LegacyHotKey = old.Index, old.IndexHotKey
	}
	return w
}

// writesWith is writesPerJob with one index whose entry costs idx(bytes).
func writesWith(d Deployment, p Profile, item, claim, fileItem float64, idx func(float64) float64) Writes {
	single := Writes{
		Table: units(item, WriteUnitBytes), Index: idx(item), IndexHotKey: idx(item),
		Reads: units(item, ReadUnitBytes),
	}
	parts := math.Ceil(float64(d.RecordsPerFile*d.OutputBytes) / recordPartBytes)
	file := Writes{
		// claim + progress per part + completion
		Table: units(claim, WriteUnitBytes) + parts*units(fileItem, WriteUnitBytes) + units(fileItem, WriteUnitBytes),
		// claim: a put; each progress update moves updated_at (delete +
		// put); completion moves status (delete + put)
		Index:       idx(claim) + parts*2*idx(fileItem) + 2*idx(fileItem),
		IndexHotKey: idx(fileItem),
		Reads:       1 + units(fileItem, ReadUnitBytes),
	}
	s := d.RecordFileShare
	return Writes{
		Table:       (1-s)*single.Table + s*file.Table,
		Index:       (1-s)*single.Index + s*file.Index,
		IndexHotKey: (1-s)*single.IndexHotKey + s*file.IndexHotKey,
		Reads:       (1-s)*single.Reads + s*file.Reads,
	}
}
