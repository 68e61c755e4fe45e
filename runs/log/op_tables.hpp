#pragma once
// The run log's tables of ops: /program (every stage's step program, one row per op) and /ops (each
// op's times with output.trace), their row types, the writer of /program and the readers of both
// (docs/run-log.md names every column). The run log's writer and the trace reader share them.

#include <hdf5.h>

#include <cstdint>
#include <vector>

#include "parallelism/program.hpp"
#include "runs/log/hdf5.hpp"
#include "runs/log/run_log.hpp"

namespace scaleout::runs {

// /program from the programs of a run: serving logs two per stage (prefill, then decode), which
// `stages` tells apart.
void write_program(hid_t file, const std::vector<parallelism::Program>& programs, std::size_t stages);
// The bytes a /program row takes before its strings (for the log's size bound).
std::size_t program_row_bytes();

// /program as it was written: the programs in the writer's order (stage, then pass). Throws h5::Error
// naming the row when a row is not one of `stages` stages' ops in order or names what no op is.
std::vector<parallelism::Program> read_program(hid_t file, int stages, std::int64_t schema);

h5::CompoundType op_row_type();
// /ops rows [first, first + count).
std::vector<OpRow> read_op_rows(hid_t ops, std::size_t first, std::size_t count);

}  // namespace scaleout::runs
