// Package batching turns many independent tensor rows into few model runs
// and hands each row its own slice of the results.
//
// # The packing model
//
// A row is one preprocessed input without a batch dimension: one tensor
// per model input (an image [3,48,W]; a feature vector [F]; a text's
// input_ids, attention_mask and token_type_ids, each [L]), of any dtype
// package tensor has. A model run takes one batch tensor per input with a
// leading N. PlanRows groups rows that can share a batch: rows with the
// same input count and, per input, the same rank and dtype form a group,
// and every dimension whose size differs inside the group is a variable
// dimension that gets padded up to the largest row (optionally rounded up
// to a multiple of Limits.PadMultiple, so that runs see few distinct
// shapes), with the pad value of that input (Limits.PadValues: the pad
// token id for input_ids, 0 for a mask). Dimensions equal across the group
// stay fixed. Run is the single-input form.
//
// Padding costs compute: one 2000-pixel-wide text line in a pack of
// 50-pixel lines makes every row 2000 wide. PlanRows therefore sorts each
// group by row size and cuts a new pack whenever adding the next row
// would make the avoidable padding exceed Limits.MaxPadWaste of the
// pack's elements (avoidable: beyond what rounding each row alone to its
// bucket would cost). Packs are also cut at Limits.MaxBatch rows, at
// Limits.MaxBytes of input data and at Limits.MaxTokens (rows × the padded
// size of the first input: a text model's token budget). AssembleRows
// writes a pack into one contiguous row-major tensor per input with the
// padding at the end of each padded dimension; Split cuts a run's outputs
// back into per-row tensors of the outputs' own dtypes.
//
// # Why bisection
//
// One bad row (a NaN that trips a kernel, an input that exhausts memory)
// fails the whole run it is packed into, and the error rarely says which
// row was to blame. Run retries a failed pack as two halves, recursively,
// until the failing rows stand alone: every healthy neighbour still gets
// its result and only the poison rows get the error. Isolating k poison
// rows in a pack of n costs about 1 + 2·k·log2(n) runs instead of n
// single-row runs, and a pack without poison costs exactly one run. When
// the context is done Run stops at once instead of bisecting, because the
// failure is then about time, not about a row.
//
// Gathering messages into a batch within a time window is not done here:
// it belongs to the queue (store.Queue.ReceiveBatch), which both the poll
// mode and the local event source mapping use.
package batching
