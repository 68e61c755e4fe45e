#pragma once
// The per-scale table that `report` (measured) and `predict` (simulated) both print: one row per
// scale, the columns every format shares, and the crossover in words.

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "analysis/scaling.hpp"
#include "runs/report/format.hpp"

namespace scaleout::runs {

// A column of a table over rows of type Row (a scale point, a serving run).
template <class Row>
struct TableColumn {
  std::string name;     // csv and json
  std::string heading;  // text and markdown
  std::function<std::string(const Row&)> value;
};
using Column = TableColumn<analysis::ScalePoint>;

struct ScaleColumns {
  bool percentiles = false;  // the step's p5 and p95 beside its p50
};
// nodes, ranks, step (with p5 and p95 when asked), compute, exposed per group used, bubble (when
// any), overlapped, comm share, tokens/s, TFLOP/s per device, efficiency, binding constraint.
std::vector<Column> scale_columns(const std::vector<analysis::ScalePoint>& points, ScaleColumns shown);

// Rows of cells under their headings: right-aligned text columns, or a Markdown table.
std::string render_grid(const std::vector<std::string>& headings, const std::vector<std::vector<std::string>>& cells,
                        bool markdown);

// A Markdown table for Format::markdown, else right-aligned text columns.
template <class Row>
std::string render_table(const std::vector<TableColumn<Row>>& columns, const std::vector<Row>& rows, Format format) {
  std::vector<std::string> headings;
  headings.reserve(columns.size());
  for (const auto& c : columns) headings.push_back(c.heading);
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  for (const auto& r : rows) {
    std::vector<std::string> row;
    row.reserve(columns.size());
    for (const auto& c : columns) row.push_back(c.value(r));
    cells.push_back(std::move(row));
  }
  return render_grid(headings, cells, format == Format::markdown);
}

// A header line of the columns' names, then a line per row.
template <class Row>
std::string render_csv(const std::vector<TableColumn<Row>>& columns, const std::vector<Row>& rows) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i].name;
  out += "\n";
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i].value(r);
    out += "\n";
  }
  return out;
}

// The JSON both print for a scale's breakdown: compute, exposed (per group and total), bubble,
// overlapped, other, comm share, tokens/s, TFLOP/s per device, efficiency, binding constraint.
nlohmann::json breakdown_json(const analysis::ScalePoint& p);

std::string crossover_text(const analysis::ScalingReport& report);
// "node"/"nodes" or "rank"/"ranks", as the report counts its scales.
std::string scale_unit(const analysis::ScalingReport& report, double scale);

}  // namespace scaleout::runs
