#pragma once
// The collective benchmark's driver: runs one collective at one size for warm-up and measured
// iterations and returns a record. It measures; console, JSON and CSV reporters only consume records.
//
// One iteration: (with --check: write this iteration's inputs and poison the outputs), barrier, then
// the timed region: the collective (blocking), or its issue plus the wait for all its requests
// (non-blocking), or its issue plus tests until it completes (polled). After the last iteration, every
// iteration's time is reduced to its maximum over ranks, and wrong elements are summed over ranks.
//
// Scaleout's own algorithms run in place, as a run's ops do (comm/collective_schedule.hpp lays the
// buffer out): outside the timed region the inputs are copied into a working buffer of S bytes and
// the results out of it, so that every iteration starts from its inputs and verify() reads them where
// the library's collective leaves them. Their blocking form is their non-blocking one waited for.

#include <cstddef>

#include "comm/bench_record.hpp"
#include "comm/collective.hpp"
#include "comm/collective_run.hpp"
#include "comm/communicator.hpp"

namespace scaleout::comm {

// `comm` runs the library's collectives, `own` (prepared over the same ranks) scaleout's.
BenchRecord measure(const Collective& collective, const Communicator& comm, AlgorithmComm& own,
                    std::size_t requested_bytes, const BenchOptions& options);

// What an own algorithm needs beside the call's buffers: the working buffer (S bytes, not for
// all-to-all) and its chunks in flight. 0 for the library's collectives.
std::size_t own_algorithm_bytes(CollectiveKind kind, Algorithm algorithm, std::size_t bytes, const Chunking& chunking);

// The largest S the collective can have on `ranks` ranks with MPI's int counts.
std::size_t largest_bytes(const Collective& collective, ElementType type, int ranks) noexcept;

}  // namespace scaleout::comm
