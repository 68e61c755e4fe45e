#include "runs/report/serving_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>

#include "runs/report/run_notes.hpp"
#include "runs/report/scale_table.hpp"

namespace scaleout::runs {

namespace {

using analysis::ServingRun;
using Column = TableColumn<ServingRun>;

std::string ms(double seconds) { return fmt::format("{:.3f}", seconds * 1e3); }
std::string percent(double share) { return fmt::format("{:.1f}", 100 * share); }

std::vector<Column> columns() {
  return {
      {"tp", "tp", [](const ServingRun& r) { return std::to_string(r.tp); }},
      {"pp", "pp", [](const ServingRun& r) { return std::to_string(r.pp); }},
      {"ep", "ep", [](const ServingRun& r) { return std::to_string(r.ep); }},
      {"nodes", "nodes", [](const ServingRun& r) { return std::to_string(r.nodes); }},
      {"ranks", "ranks", [](const ServingRun& r) { return std::to_string(r.ranks); }},
      {"sequences", "seqs", [](const ServingRun& r) { return std::to_string(r.sequences); }},
      {"prompt_tokens", "prompt", [](const ServingRun& r) { return fmt::format("{:.0f}", r.prompt_tokens); }},
      {"output_tokens", "output", [](const ServingRun& r) { return fmt::format("{:.0f}", r.output_tokens); }},
      {"ttft_p50_ms", "TTFT ms", [](const ServingRun& r) { return ms(r.summary.ttft_p50); }},
      {"tpot_p50_ms", "TPOT p50 ms", [](const ServingRun& r) { return ms(r.summary.tpot_p50); }},
      {"tpot_p95_ms", "TPOT p95 ms", [](const ServingRun& r) { return ms(r.summary.tpot_p95); }},
      {"batch_ms", "request ms", [](const ServingRun& r) { return ms(r.summary.batch_s); }},
      {"tokens_per_s_replica", "tok/s/replica",
       [](const ServingRun& r) { return fmt::format("{:.1f}", r.summary.tokens_per_s_replica); }},
      {"tokens_per_s_device", "tok/s/device",
       [](const ServingRun& r) { return fmt::format("{:.1f}", r.summary.tokens_per_s_device); }},
      {"prefill_comm_percent", "prefill comm %",
       [](const ServingRun& r) { return percent(r.summary.prefill.comm_share); }},
      {"decode_comm_percent", "decode comm %",
       [](const ServingRun& r) { return percent(r.summary.decode.comm_share); }},
      {"decode_bound", "decode bound", [](const ServingRun& r) { return analysis::decode_bound(r.summary); }},
      {"kv_fits", "KV fits", [](const ServingRun& r) { return std::string(r.memory_fits ? "yes" : "NO"); }},
  };
}

std::string where(const ServingRun& r) {
  return fmt::format("tp {}{}{} on {} node{}", r.tp, r.pp > 1 ? fmt::format(" x pp {}", r.pp) : "",
                     r.ep > 1 ? fmt::format(" x ep {}", r.ep) : "", r.nodes, r.nodes == 1 ? "" : "s");
}

std::string table(const std::vector<ServingRun>& runs, Format format) {
  auto cols = columns();
  if (format != Format::csv) return render_table(cols, runs, format);
  cols.push_back({"log", "log", [](const ServingRun& r) { return r.path; }});
  return render_csv(cols, runs);
}

std::string turning_text(const std::vector<ServingRun>& runs) {
  std::string out;
  for (const auto& [tokens, run] : analysis::turning_points(runs)) {
    out += fmt::format("  {:.0f} output tokens: {}\n", tokens,
                       run == nullptr ? "not communication-bound in any run"
                                      : fmt::format("communication-bound from {} ({} % of a decode pass exposed)",
                                                    where(*run), percent(run->summary.decode.comm_share)));
  }
  return out;
}

std::string json(const std::vector<ServingRun>& runs, const std::string& source) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : runs) {
    const auto& s = r.summary;
    nlohmann::json row = {{"path", r.path},
                          {"tp", r.tp},
                          {"pp", r.pp},
                          {"ep", r.ep},
                          {"nodes", r.nodes},
                          {"ranks", r.ranks},
                          {"sequences", r.sequences},
                          {"prompt_tokens", r.prompt_tokens},
                          {"output_tokens", r.output_tokens},
                          {"decode_bound", analysis::decode_bound(s)},
                          {"decode_communication_bound", analysis::communication_bound(s)},
                          {"kv_fits", r.memory_fits},
                          {"status", r.log.status},
                          {"status_message", r.log.status_message},
                          {"checksummed", r.log.checksummed},
                          {"notes", run_notes(r.path, r.log)}};
    for (const auto& [name, value] : s.figures()) row[name] = value;
    rows.push_back(row);
  }
  nlohmann::json turning = nlohmann::json::object();
  for (const auto& [tokens, run] : analysis::turning_points(runs)) {
    turning[fmt::format("{:.0f}", tokens)] =
        run == nullptr ? nlohmann::json(nullptr)
                       : nlohmann::json{{"tp", run->tp}, {"pp", run->pp}, {"ep", run->ep}, {"nodes", run->nodes}};
  }
  return nlohmann::json{{"source", source}, {"kind", "serving"}, {"runs", rows}, {"communication_bound_from", turning}}
             .dump(2) +
         "\n";
}

}  // namespace

std::string format_serving_report(const std::vector<ServingRun>& runs, Format format, const std::string& source) {
  if (format == Format::json) return json(runs, source);
  if (format == Format::csv) return table(runs, Format::csv);
  const bool markdown = format == Format::markdown;
  std::string out = fmt::format("{}serving report: {} ({} run{})\n\n", markdown ? "## " : "", source, runs.size(),
                                runs.size() == 1 ? "" : "s");
  out += table(runs, format);
  out += fmt::format("\n{}where decode turns communication-bound (exposed communication above compute):\n",
                     markdown ? "### " : "");
  out += turning_text(runs);
  std::vector<std::vector<std::string>> notes;
  notes.reserve(runs.size());
  for (const auto& r : runs) notes.push_back(run_notes(r.path, r.log));
  out += notes_text(notes, markdown ? "- " : "");
  return out;
}

}  // namespace scaleout::runs
