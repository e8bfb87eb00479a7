package worker

// Isolator runs suspected crashers apart from their neighbours.
type Isolator struct{}
