#include "analysis/calibration.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "parallelism/compute_emulation.hpp"

namespace scaleout::analysis {

namespace {

// Minimises sum ((a u_i + b v_i) - 1)^2 with a, b >= 0: the relative residuals of a u-v model.
std::pair<double, double> nonnegative_least_squares(const std::vector<double>& u, const std::vector<double>& v) {
  double uu = 0, uv = 0, vv = 0, u1 = 0, v1 = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    uu += u[i] * u[i], uv += u[i] * v[i], vv += v[i] * v[i], u1 += u[i], v1 += v[i];
  }
  const double determinant = uu * vv - uv * uv;
  if (determinant > 0) {
    const double a = (u1 * vv - v1 * uv) / determinant;
    const double b = (v1 * uu - u1 * uv) / determinant;
    if (a >= 0 && b >= 0) return {a, b};
  }
  // The unconstrained optimum lies outside the quadrant: the best of its two edges.
  const double a_only = uu > 0 ? u1 / uu : 0, b_only = vv > 0 ? v1 / vv : 0;
  const auto error = [&](double a, double b) {
    double sum = 0;
    for (std::size_t i = 0; i < u.size(); ++i) sum += std::pow(a * u[i] + b * v[i] - 1, 2);
    return sum;
  };
  return error(a_only, 0) <= error(0, b_only) ? std::pair{a_only, 0.0} : std::pair{0.0, b_only};
}

void check_measured(const std::vector<std::pair<double, double>>& measured, const char* what) {
  if (measured.size() < 2) throw std::invalid_argument(fmt::format("{}: a fit needs at least two sizes", what));
  for (const auto& [x, seconds] : measured) {
    if (!(seconds > 0) || !std::isfinite(seconds) || !(x >= 0)) {
      throw std::invalid_argument(fmt::format("{}: a measured time must be positive and finite", what));
    }
  }
}

// Fills a fit's points and relative residuals from its model, `fitted(x)`.
template <typename Target, typename Model>
void residuals(Target& target, const std::vector<std::pair<double, double>>& measured, const Model& model) {
  double squares = 0;
  target.points.clear();
  for (const auto& [x, seconds] : measured) {
    const double fitted = model(x);
    const double relative = (fitted - seconds) / seconds;
    squares += relative * relative;
    target.max_residual = std::max(target.max_residual, std::abs(relative));
    target.points.push_back({x, seconds, fitted});
  }
  target.rms_residual = std::sqrt(squares / static_cast<double>(measured.size()));
}

}  // namespace

namespace {

struct Segment {
  double constant = 0, slope = 0, squares = 0;
};

// The relative least-squares line through points [first, last) of sorted (x, seconds).
Segment fit_segment(const std::vector<std::pair<double, double>>& sorted, std::size_t first, std::size_t last) {
  std::vector<double> u, v;
  for (std::size_t i = first; i < last; ++i)
    u.push_back(1 / sorted[i].second), v.push_back(sorted[i].first / sorted[i].second);
  const auto [constant, slope] = nonnegative_least_squares(u, v);
  double squares = 0;
  for (std::size_t i = 0; i < u.size(); ++i) squares += std::pow(constant * u[i] + slope * v[i] - 1, 2);
  return {constant, slope, squares};
}

// The best split of sorted points into `pieces` runs of two or more: the first index of each run.
std::vector<std::size_t> best_split(const std::vector<std::pair<double, double>>& sorted, int pieces, double& squares) {
  const std::size_t n = sorted.size();
  constexpr double none = std::numeric_limits<double>::infinity();
  // best[k][j]: the least squares of the first j points in k runs; from[k][j]: where the last run starts.
  std::vector<std::vector<double>> best(static_cast<std::size_t>(pieces) + 1, std::vector<double>(n + 1, none));
  std::vector<std::vector<std::size_t>> from(best.size(), std::vector<std::size_t>(n + 1, 0));
  best[0][0] = 0;
  for (std::size_t k = 1; k < best.size(); ++k) {
    for (std::size_t j = 2; j <= n; ++j) {
      for (std::size_t i = 0; i + 2 <= j; ++i) {
        if (best[k - 1][i] == none) continue;
        const double total = best[k - 1][i] + fit_segment(sorted, i, j).squares;
        if (total < best[k][j]) best[k][j] = total, from[k][j] = i;
      }
    }
  }
  squares = best[static_cast<std::size_t>(pieces)][n];
  std::vector<std::size_t> starts;
  for (std::size_t k = static_cast<std::size_t>(pieces), j = n; k > 0; --k) {
    starts.insert(starts.begin(), from[k][j]);
    j = from[k][j];
  }
  return starts;
}

}  // namespace

Fit fit_collective(Collective collective, int ranks, const std::vector<std::pair<double, double>>& measured) {
  check_measured(measured, to_string(collective));
  const auto terms = algorithm_terms(collective, ranks);
  if (terms.steps <= 0)
    throw std::invalid_argument(fmt::format("{} on one rank moves nothing to fit", to_string(collective)));
  auto sorted = measured;
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  double squares = 0;
  std::vector<std::size_t> starts = best_split(sorted, 1, squares);
  for (int pieces = 2; pieces <= 3 && sorted.size() >= 2 * static_cast<std::size_t>(pieces); ++pieces) {
    double more = 0;
    auto split = best_split(sorted, pieces, more);
    const double rms = std::sqrt(squares / n), finer = std::sqrt(more / n);
    if (rms > 0.03 && finer < 0.75 * rms) starts = std::move(split), squares = more;
  }
  Fit fit;
  fit.ranks = ranks;
  starts.push_back(sorted.size());
  for (std::size_t k = 0; k + 1 < starts.size(); ++k) {
    const auto segment = fit_segment(sorted, starts[k], starts[k + 1]);
    // A piece holds from halfway (geometrically) between its first size and the previous piece's last.
    const double from = k == 0 ? 0 : std::sqrt(sorted[starts[k] - 1].first * sorted[starts[k]].first);
    fit.cost.pieces.push_back({from, {segment.constant / terms.steps, segment.slope / terms.volume}});
  }
  residuals(fit, sorted, [&](double bytes) { return flat_seconds(collective, fit.cost, ranks, bytes); });
  return fit;
}

ComputeOverhead fit_compute_overhead(const std::string& mode, const std::vector<std::pair<double, double>>& measured) {
  check_measured(measured, "compute emulation");
  // The whole span: seconds = per_span + slope x requested, with slope = 1 + relative.
  std::vector<double> u, v;
  for (const auto& [requested, seconds] : measured) u.push_back(1 / seconds), v.push_back(requested / seconds);
  const auto [constant, slope_fitted] = nonnegative_least_squares(u, v);
  const double per_span = constant, slope = slope_fitted;  // named values: lambdas may not capture bindings in clang 14
  ComputeOverhead overhead;
  overhead.mode = mode;
  overhead.per_span = per_span;
  overhead.relative = slope - 1;
  residuals(overhead, measured, [&](double requested) { return per_span + slope * requested; });
  return overhead;
}

AlphaBeta hop_of(const Fit& sendrecv) {
  // A larger message never takes less time than a smaller one on a working link: a smaller size's
  // time above a larger one's is noise (the scheduler of an oversubscribed node, a retransmission), so
  // each size is held to the least time of the sizes from it up.
  std::vector<FitPoint> points = sendrecv.points;
  std::sort(points.begin(), points.end(), [](const FitPoint& a, const FitPoint& b) { return a.bytes < b.bytes; });
  for (std::size_t i = points.size(); i-- > 1;)
    points[i - 1].seconds = std::min(points[i - 1].seconds, points[i].seconds);
  // The bandwidth of the largest sizes (the last piece's), where a link runs at its rate; without one,
  // the slope of the last two sizes.
  double beta = sendrecv.cost.pieces.empty() ? 0 : sendrecv.cost.pieces.back().cost.beta;
  if (beta <= 0 && points.size() >= 2) {
    const auto& a = points[points.size() - 2];
    const auto& b = points.back();
    if (b.bytes > a.bytes) beta = std::max(0.0, (b.seconds - a.seconds) / (b.bytes - a.bytes));
  }
  // The latency: the smallest size's time less its bytes.
  const double alpha = points.empty() ? 0 : std::max(0.0, points.front().seconds - points.front().bytes * beta);
  return {alpha, beta};
}

CostModel Calibration::cost_model() const {
  CostModel model;
  for (const auto& [key, fit] : fits) {
    model.set(key.tier, key.collective, fit.cost, key.progress);
    if (key.collective == Collective::sendrecv) model.set_hop(key.tier, hop_of(fit), key.progress);
  }
  model.set_link_sharing_at_calibration(ranks_per_node);
  return model;
}

namespace {

nlohmann::json points_json(const std::vector<FitPoint>& points, const char* x) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : points) list.push_back({{x, p.bytes}, {"seconds", p.seconds}, {"fitted_seconds", p.fitted}});
  return list;
}

}  // namespace

std::string to_json(const Calibration& c) {
  nlohmann::json fits = nlohmann::json::array();
  for (const auto& [key, fit] : c.fits) {
    nlohmann::json pieces = nlohmann::json::array();
    for (const auto& piece : fit.cost.pieces) {
      pieces.push_back({{"from_bytes", piece.from_bytes},
                        {"alpha_s", piece.cost.alpha},
                        {"beta_s_per_byte", piece.cost.beta},
                        {"bandwidth_gbs", piece.cost.beta > 0 ? 1e-9 / piece.cost.beta : 0.0}});
    }
    fits.push_back({{"tier", key.tier == Tier::intra ? "intra" : "inter"},
                    {"collective", to_string(key.collective)},
                    {"progress", to_string(key.progress)},
                    {"ranks", fit.ranks},
                    {"pieces", pieces},
                    {"rms_residual", fit.rms_residual},
                    {"max_residual", fit.max_residual},
                    {"points", points_json(fit.points, "bytes")}});
  }
  const nlohmann::json json = {
      {"format", "scaleout-calibration"},
      {"version", Calibration::format_version},
      {"created", c.created},
      {"tool_version", c.tool_version},
      {"cluster",
       {{"nodes", c.nodes},
        {"ranks_per_node", c.ranks_per_node},
        {"hostnames", c.hostnames},
        {"mpi_library", c.mpi_library},
        {"transport", c.transport}}},
      {"fits", fits},
      {"compute",
       {{"mode", c.compute.mode},
        {"per_span_s", c.compute.per_span},
        {"relative", c.compute.relative},
        {"rms_residual", c.compute.rms_residual},
        {"max_residual", c.compute.max_residual},
        {"points", points_json(c.compute.points, "requested_seconds")}}},
  };
  return json.dump(2) + "\n";
}

namespace {

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw CalibrationError(fmt::format("{}: {} {}", source_, field, what));
  }
  const nlohmann::json& member(const nlohmann::json& object, const std::string& field, const std::string& path) const {
    if (!object.is_object() || !object.contains(field)) fail(path + field, "is missing");
    return object.at(field);
  }
  double number(const nlohmann::json& object, const std::string& field, const std::string& path = "") const {
    const auto& value = member(object, field, path);
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0) {
      fail(path + field, "must be a non-negative number");
    }
    return value.get<double>();
  }
  // A number in [0, most]: what a measurement can be (a latency past 10 s, or a link slower than
  // 1 kB/s, made inf step times beside finite speedups).
  double bounded(const nlohmann::json& object, const std::string& field, const std::string& path, double most) const {
    const double value = number(object, field, path);
    if (value > most) fail(path + field, fmt::format("must be at most {:g}", most));
    return value;
  }
  double signed_number(const nlohmann::json& object, const std::string& field, const std::string& path) const {
    const auto& value = member(object, field, path);
    if (!value.is_number() || !std::isfinite(value.get<double>())) fail(path + field, "must be a finite number");
    return value.get<double>();
  }
  int count(const nlohmann::json& object, const std::string& field, const std::string& path = "") const {
    const auto& value = member(object, field, path);
    if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > (1 << 24)) {
      fail(path + field, "must be a whole number from 1 to 16777216");
    }
    return value.get<int>();
  }
  std::string text(const nlohmann::json& object, const std::string& field, const std::string& path = "") const {
    const auto& value = member(object, field, path);
    if (!value.is_string()) fail(path + field, "must be text");
    return value.get<std::string>();
  }
  std::vector<FitPoint> points(const nlohmann::json& object, const char* x, const std::string& path) const {
    std::vector<FitPoint> list;
    const auto& value = member(object, "points", path);
    if (!value.is_array()) fail(path + "points", "must be a list");
    for (const auto& p : value)
      list.push_back({number(p, x, path + "points."), number(p, "seconds", path + "points."),
                      number(p, "fitted_seconds", path + "points.")});
    return list;
  }

 private:
  std::string source_;
};

}  // namespace

Calibration calibration_from_json(const std::string& text, const std::string& source) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    throw CalibrationError(fmt::format("{}: not JSON ({})", source, error.what()));
  }
  const Reader r(source);
  if (!json.is_object() || !json.contains("format") || json["format"] != "scaleout-calibration") {
    r.fail("format", "is not \"scaleout-calibration\": this is not a file of scaleout calibrate");
  }
  if (r.count(json, "version") != Calibration::format_version) {
    r.fail("version",
           fmt::format("is {}; this scaleout reads version {}", json["version"].dump(), Calibration::format_version));
  }
  Calibration c;
  c.created = r.text(json, "created");
  c.tool_version = r.text(json, "tool_version");
  const auto& cluster = r.member(json, "cluster", "");
  c.nodes = r.count(cluster, "nodes", "cluster.");
  c.ranks_per_node = r.count(cluster, "ranks_per_node", "cluster.");
  c.hostnames = r.text(cluster, "hostnames", "cluster.");
  c.mpi_library = r.text(cluster, "mpi_library", "cluster.");
  c.transport = r.text(cluster, "transport", "cluster.");
  const auto& fits = r.member(json, "fits", "");
  if (!fits.is_array()) r.fail("fits", "must be a list");
  for (const auto& f : fits) {
    const std::string tier = r.text(f, "tier", "fits.");
    if (tier != "intra" && tier != "inter") r.fail("fits.tier", fmt::format("'{}' is not intra or inter", tier));
    const auto collective = parse_collective(r.text(f, "collective", "fits."));
    if (!collective) r.fail("fits.collective", "is not allreduce, reduce_scatter, allgather, alltoall or sendrecv");
    Fit fit;
    fit.ranks = r.count(f, "ranks", "fits.");
    const auto& pieces = r.member(f, "pieces", "fits.");
    if (!pieces.is_array() || pieces.empty()) r.fail("fits.pieces", "must be a list of at least one piece");
    for (const auto& piece : pieces) {
      const double from = r.number(piece, "from_bytes", "fits.pieces.");
      if (!fit.cost.pieces.empty() && from <= fit.cost.pieces.back().from_bytes) {
        r.fail("fits.pieces.from_bytes", "must ascend");
      }
      fit.cost.pieces.push_back({from,
                                 {r.bounded(piece, "alpha_s", "fits.pieces.", 10.0),
                                  r.bounded(piece, "beta_s_per_byte", "fits.pieces.", 1e-3)}});
    }
    fit.rms_residual = r.number(f, "rms_residual", "fits.");
    fit.max_residual = r.number(f, "max_residual", "fits.");
    fit.points = r.points(f, "bytes", "fits.");
    const std::string progress = r.text(f, "progress", "fits.");
    if (progress != "blocking" && progress != "polled") {
      r.fail("fits.progress", fmt::format("'{}' is not blocking or polled", progress));
    }
    const FitKey key{tier == "intra" ? Tier::intra : Tier::inter, *collective,
                     progress == "blocking" ? Progress::blocking : Progress::polled};
    if (c.fits.count(key) != 0)
      r.fail("fits", fmt::format("holds {} {} {} twice", tier, progress, to_string(*collective)));
    c.fits[key] = fit;
  }
  const auto& compute = r.member(json, "compute", "");
  c.compute.mode = r.text(compute, "mode", "compute.");
  if (!parallelism::parse_compute_mode(c.compute.mode)) {
    r.fail("compute.mode", fmt::format("'{}' is not a compute mode; allowed: sleep, spin", c.compute.mode));
  }
  c.compute.per_span = r.number(compute, "per_span_s", "compute.");
  c.compute.relative = r.signed_number(compute, "relative", "compute.");
  c.compute.rms_residual = r.number(compute, "rms_residual", "compute.");
  c.compute.max_residual = r.number(compute, "max_residual", "compute.");
  c.compute.points = r.points(compute, "requested_seconds", "compute.");
  return c;
}

}  // namespace scaleout::analysis
