#pragma once
// The /steps table of the run log: its row type as HDF5 stores it, per schema version, and the checks
// a reader makes before and after it believes the rows (docs/run-log.md names every column). The
// writer and the reader of runs/log/run_log.cpp share it.

#include <hdf5.h>

#include <cstdint>

#include "runs/log/hdf5.hpp"
#include "runs/log/run_log.hpp"

namespace scaleout::runs {

// The /steps row of `schema` (a log's version): what older versions lack stays zero when read.
h5::CompoundType step_row_type(std::int64_t schema = run_log_schema_version);

// Before /steps is read: its rows have every column of `row`, and it declares no more rows than the
// file holds.
void check_steps_dataset(hid_t steps, const h5::CompoundType& row);

// After: every row is one rank's step of `log` (a rank of /ranks, a known pass, times finite and not
// negative) and no step of a rank comes twice.
void check_rows(const RunLog& log);

}  // namespace scaleout::runs
