#include "runs/log/op_tables.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <string>

#include "analysis/step_row.hpp"

namespace scaleout::runs {

namespace {

using analysis::PassKind;

// Strings point into the caller's strings while rows are written; into HDF5's memory, freed by
// ProgramRows, while they are read.
struct ProgramRow {
  std::int32_t stage;
  std::int8_t pass;
  std::int32_t op;
  const char* kind;
  const char* phase;
  std::int32_t microbatch, layer;
  const char* group;
  const char* transfer;
  const char* algorithm;
  std::int8_t expert, embedding;
  std::uint64_t bytes;
  std::int32_t slot, peer, tag;
  double flops, memory_bytes, seconds;
};

// The row type with `text` (a string type the caller keeps) for the strings; of a log of an older
// `schema`, without the columns it lacks (algorithm came with 4, embedding with 6).
h5::CompoundType program_row_type(hid_t text, std::int64_t schema = run_log_schema_version) {
  h5::CompoundType type(sizeof(ProgramRow));
  type.SCALEOUT_FIELD(ProgramRow, stage, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(ProgramRow, pass, H5T_NATIVE_INT8)
      .SCALEOUT_FIELD(ProgramRow, op, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(ProgramRow, kind, text)
      .SCALEOUT_FIELD(ProgramRow, phase, text)
      .SCALEOUT_FIELD(ProgramRow, microbatch, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(ProgramRow, layer, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(ProgramRow, group, text)
      .SCALEOUT_FIELD(ProgramRow, transfer, text)
      .SCALEOUT_FIELD(ProgramRow, expert, H5T_NATIVE_INT8)
      .SCALEOUT_FIELD(ProgramRow, bytes, H5T_NATIVE_UINT64)
      .SCALEOUT_FIELD(ProgramRow, slot, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(ProgramRow, peer, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(ProgramRow, tag, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(ProgramRow, flops, H5T_NATIVE_DOUBLE)
      .SCALEOUT_FIELD(ProgramRow, memory_bytes, H5T_NATIVE_DOUBLE)
      .SCALEOUT_FIELD(ProgramRow, seconds, H5T_NATIVE_DOUBLE);
  if (schema >= 4) type.SCALEOUT_FIELD(ProgramRow, algorithm, text);
  if (schema >= 6) type.SCALEOUT_FIELD(ProgramRow, embedding, H5T_NATIVE_INT8);
  return type;
}

}  // namespace

void write_program(hid_t file, const std::vector<parallelism::Program>& programs, std::size_t stages) {
  const h5::Object text = h5::string_type();
  const h5::CompoundType type = program_row_type(text.id());
  h5::Table table(file, "program", type.id(), 1024);
  for (std::size_t index = 0; index < programs.size(); ++index) {
    const auto stage = static_cast<std::int32_t>(index % stages);
    const PassKind pass = programs.size() == stages ? PassKind::training
                          : index < stages          ? PassKind::prefill
                                                    : PassKind::decode;
    std::vector<ProgramRow> rows;
    rows.reserve(programs[index].ops.size());
    for (std::size_t i = 0; i < programs[index].ops.size(); ++i) {
      const auto& op = programs[index].ops[i];
      const bool compute = op.kind == parallelism::OpKind::compute;
      rows.push_back(
          {stage, static_cast<std::int8_t>(pass), static_cast<std::int32_t>(i), parallelism::to_string(op.kind),
           parallelism::to_string(op.phase), op.microbatch, op.layer, compute ? "" : parallelism::to_string(op.group),
           compute ? "" : parallelism::to_string(op.transfer), compute ? "" : comm::name(op.algorithm).data(),
           static_cast<std::int8_t>(op.expert), static_cast<std::int8_t>(op.embedding), op.bytes, op.slot, op.peer,
           compute ? -1 : op.tag, op.flops, op.memory_bytes, op.seconds});
    }
    table.append(rows.data(), rows.size());
  }
}

h5::CompoundType op_row_type() {
  h5::CompoundType t(sizeof(OpRow));
  t.SCALEOUT_FIELD(OpRow, step, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(OpRow, rank, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(OpRow, op, H5T_NATIVE_INT32)
      .SCALEOUT_FIELD(OpRow, begin_s, H5T_NATIVE_DOUBLE)
      .SCALEOUT_FIELD(OpRow, end_s, H5T_NATIVE_DOUBLE)
      .SCALEOUT_FIELD(OpRow, waited_s, H5T_NATIVE_DOUBLE);
  return t;
}

namespace {

// Rows read with their strings, which HDF5 allocated: freed with the rows.
struct ProgramRows {
  std::vector<ProgramRow> rows;
  ProgramRows(const ProgramRows&) = delete;
  ProgramRows& operator=(const ProgramRows&) = delete;
  explicit ProgramRows(std::size_t count) : rows(count, ProgramRow{}) {}
  ~ProgramRows() {
    for (auto& row : rows) {
      for (const char* text : {row.kind, row.phase, row.group, row.transfer, row.algorithm}) {
        H5free_memory(const_cast<char*>(text));
      }
    }
  }
};

std::string text_of(const char* text) { return text != nullptr ? text : ""; }

template <typename E>
E named(const char* text, int count, const char* column, std::size_t row) {
  if (const auto value = parallelism::parse_named<E>(text_of(text), count)) return *value;
  throw h5::Error(fmt::format("/program row {}: {} '{}' is none this scaleout knows", row, column, text_of(text)));
}

parallelism::Op op_of(const ProgramRow& row, std::size_t index) {
  using namespace parallelism;
  Op op;
  op.kind = named<OpKind>(row.kind, op_kind_count, "kind", index);
  op.phase = named<Phase>(row.phase, phase_count, "phase", index);
  op.microbatch = row.microbatch;
  op.layer = row.layer;
  op.flops = row.flops;
  op.memory_bytes = row.memory_bytes;
  op.seconds = row.seconds;
  op.bytes = row.bytes;
  op.slot = row.slot;
  op.peer = row.peer;
  op.tag = row.tag;
  op.expert = row.expert != 0;
  op.embedding = row.embedding != 0;
  if (op.kind == OpKind::compute) return op;
  op.group = named<Group>(row.group, group_count, "group", index);
  op.transfer = named<Transfer>(row.transfer, transfer_count, "transfer", index);
  if (row.algorithm != nullptr && *row.algorithm != 0) {
    const auto algorithm = comm::parse_algorithm(row.algorithm);
    if (!algorithm)
      throw h5::Error(fmt::format("/program row {}: algorithm '{}' is none this scaleout knows", index, row.algorithm));
    op.algorithm = *algorithm;
  }
  return op;
}

}  // namespace

std::size_t program_row_bytes() { return sizeof(ProgramRow); }

std::vector<parallelism::Program> read_program(hid_t file, int stages, std::int64_t schema) {
  const h5::Object dataset = h5::open_dataset(file, "program");
  const h5::Object text = h5::string_type();
  const h5::CompoundType type = program_row_type(text.id(), schema);
  h5::check_declared_rows(dataset.id(), "/program");
  ProgramRows read(h5::row_count(dataset.id()));
  if (!read.rows.empty()) h5::read_rows(dataset.id(), type.id(), read.rows.data(), "/program");
  std::vector<parallelism::Program> programs;
  for (std::size_t i = 0; i < read.rows.size(); ++i) {
    const ProgramRow& row = read.rows[i];
    if (row.stage < 0 || row.stage >= stages || row.pass < 0 || row.pass > 2) {
      throw h5::Error(
          fmt::format("/program row {}: stage {} pass {} is not one of the run's {} stages and passes 0 to 2", i,
                      row.stage, row.pass, stages));
    }
    // Rows come program by program, each op 0 first: a new program starts at op 0.
    if (row.op == 0) programs.emplace_back();
    if (programs.empty() || row.op != static_cast<std::int32_t>(programs.back().ops.size())) {
      throw h5::Error(fmt::format("/program row {}: op {} out of order", i, row.op));
    }
    programs.back().ops.push_back(op_of(row, i));
    if (row.slot >= programs.back().slots) programs.back().slots = row.slot + 1;
  }
  const auto count = programs.size();
  if (count != static_cast<std::size_t>(stages) && count != 2 * static_cast<std::size_t>(stages)) {
    throw h5::Error(fmt::format("/program: holds {} programs; a run of {} stages has {} (or {} serving)", count, stages,
                                stages, 2 * stages));
  }
  return programs;
}

std::vector<OpRow> read_op_rows(hid_t ops, std::size_t first, std::size_t count) {
  std::vector<OpRow> rows(count);
  if (count == 0) return rows;
  const h5::CompoundType type = op_row_type();
  const h5::Object space(h5::check(H5Dget_space(ops), "/ops"), H5Sclose);
  const hsize_t start = first, n = count;
  h5::check(H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, &start, nullptr, &n, nullptr), "/ops");
  const h5::Object memory(h5::check(H5Screate_simple(1, &n, nullptr), "/ops"), H5Sclose);
  h5::check(H5Dread(ops, type.id(), memory.id(), space.id(), H5P_DEFAULT, rows.data()), "/ops");
  return rows;
}

}  // namespace scaleout::runs
