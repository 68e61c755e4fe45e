#pragma once
// A RunTrace (analysis/run_trace.hpp) in the Chrome trace event format that Perfetto
// (ui.perfetto.dev) and chrome://tracing open: one process per node, one track per rank for its own
// line of ops (compute spans, waits, blocking operations), and beside it a track per communication
// group for the operations it started, which overlap its compute (a second one where two of a group
// overlap); a slice per op with its kind, group, tier, bytes, peers and algorithm; each step a slice
// that holds its rank's ops; flow arrows from every pipeline send to its receive. docs/usage.md
// ("Timeline") says how times are aligned.

#include <cstdint>
#include <string>

#include "analysis/run_trace.hpp"

namespace scaleout::runs {

struct TraceCounts {
  std::uint64_t slices =
      0;  // one per op of every traced step and rank (an instant when it took no time), plus a step slice each
  std::uint64_t flows = 0;  // pipeline sends paired with their receives
  analysis::Alignment alignment;
};

// What the JSON will hold, counted before it is made: its slices and flows, and a bound of its bytes.
TraceCounts count_trace(const analysis::RunTrace& trace);
std::uint64_t trace_bytes_bound(const TraceCounts& counts);
// The same bound from the trace's outline (its steps without ops: runs/log/trace_reader.hpp), before the
// ops are read: every op of each step's rank a slice, every pipeline send a flow.
std::uint64_t trace_bytes_bound(const analysis::RunTrace& outline);

// The JSON text of the whole trace; `counts` says what it holds (count_trace's).
std::string format_chrome_trace(const analysis::RunTrace& trace, const TraceCounts& counts);

// One line for the user: what was written and how well the steps' barriers align the ranks.
std::string describe_trace(const std::string& path, const analysis::RunTrace& trace, const TraceCounts& counts);

}  // namespace scaleout::runs
