#pragma once
// The collective benchmark's driver: runs one collective at one size for warm-up and measured
// iterations and returns a record. It measures; console, JSON and CSV reporters only consume records.
//
// One iteration: (with --check: write this iteration's inputs and poison the outputs), barrier, then
// the timed region: the collective (blocking), or its issue plus the wait for all its requests
// (non-blocking), or its issue plus tests until it completes (polled). After the last iteration, every iteration's time
// is reduced to its maximum over ranks, and wrong elements are summed over ranks.

#include <cstddef>

#include "comm/bench_record.hpp"
#include "comm/collective.hpp"
#include "comm/communicator.hpp"

namespace scaleout::comm {

BenchRecord measure(const Collective& collective, const Communicator& comm, std::size_t requested_bytes,
                    const BenchOptions& options);

// The largest S the collective can have on `ranks` ranks with MPI's int counts.
std::size_t largest_bytes(const Collective& collective, ElementType type, int ranks) noexcept;

}  // namespace scaleout::comm
