#include "app/sweep/sweep_runner.h"
#include "engine/log.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "app/bench/chart_files.h"

namespace sluice::bench {
namespace {

std::string ComboOf(const SweepPoint& p) { return p.payload + ", " + p.compress; }

bool Eligible(const SweepPoint& p) {
  return p.result.Errors() == 0 && p.result.error.empty() && p.result.records > 0;
}

}  // namespace

std::optional<Recommendation> Recommend(const std::vector<SweepPoint>& points, double max_p99_ms,
                                        double within_fraction) {
  double best = 0;
  const SweepPoint* best_point = nullptr;
  for (const SweepPoint& p : points) {
    if (Eligible(p) && p.result.records_per_s > best) {
      best = p.result.records_per_s;
      best_point = &p;
    }
  }
  if (best_point == nullptr) return std::nullopt;
  auto under_limit = [&](const SweepPoint& p) { return max_p99_ms <= 0 || p.result.latency.p99_ms <= max_p99_ms; };
  const SweepPoint* chosen = nullptr;
  for (const SweepPoint& p : points) {
    if (!Eligible(p) || !under_limit(p) || p.result.records_per_s < (1.0 - within_fraction) * best) continue;
    if (chosen == nullptr || std::make_pair(p.batch_size, p.concurrency) < std::make_pair(chosen->batch_size, chosen->concurrency))
      chosen = &p;
  }
  Recommendation r;
  r.best_records_per_s = best;
  if (chosen == nullptr) {
    for (const SweepPoint& p : points) {
      if (Eligible(p) && under_limit(p) && (chosen == nullptr || p.result.records_per_s > chosen->result.records_per_s))
        chosen = &p;
    }
    if (chosen == nullptr) return std::nullopt;
    r.relaxed = true;
  }
  r.point = *chosen;
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "--batch-size %u --concurrency %d (payload %s, compress %s): %.0f records/s (%.0f%% of the best, "
                "%.0f records/s at batch %u x concurrency %d), p99 %.1f ms%s",
                chosen->batch_size, chosen->concurrency, chosen->payload.c_str(), chosen->compress.c_str(),
                chosen->result.records_per_s, 100.0 * chosen->result.records_per_s / best, best,
                best_point->batch_size, best_point->concurrency, chosen->result.latency.p99_ms,
                max_p99_ms > 0 ? (" <= " + Fixed(max_p99_ms, 0) + " ms").c_str() : "");
  r.explanation = buf;
  if (r.relaxed) {
    r.explanation += "; no point within " + Fixed(within_fraction * 100, 0) +
                     "% of the best kept p99 under the limit, so this is the fastest one that did";
  }
  return r;
}

std::string SweepCsv(const std::vector<SweepPoint>& points) {
  std::string csv =
      "batch_size,concurrency,payload,compress,records_per_s,mb_per_s,requests_per_s,p50_ms,p90_ms,p99_ms,p999_ms,"
      "max_ms,errors,retries\n";
  for (const SweepPoint& p : points) {
    const BenchResult& r = p.result;
    csv += std::to_string(p.batch_size) + "," + std::to_string(p.concurrency) + "," + p.payload + "," + p.compress +
           "," + Fixed(r.records_per_s, 1) + "," + Fixed(r.mb_per_s, 3) + "," + Fixed(r.requests_per_s, 2) + "," +
           Fixed(r.latency.p50_ms, 3) + "," + Fixed(r.latency.p90_ms, 3) + "," + Fixed(r.latency.p99_ms, 3) + "," +
           Fixed(r.latency.p999_ms, 3) + "," + Fixed(r.latency.max_ms, 3) + "," + std::to_string(r.Errors()) + "," +
           std::to_string(r.retries) + "\n";
  }
  return csv;
}

std::string RecommendedConfig(const Recommendation& r, bool include_payload, bool include_compress) {
  std::string c = "# sluice sweep recommendation: " + r.explanation + "\n";
  c += "# use with: sluice run --config FILE (flags given on the command line win)\n";
  c += "batch-size = " + std::to_string(r.point.batch_size) + "\n";
  c += "concurrency = \"" + std::to_string(r.point.concurrency) + "\"\n";
  if (include_payload) c += "payload = \"" + r.point.payload + "\"\n";
  if (include_compress) c += "compress = \"" + r.point.compress + "\"\n";
  return c;
}

std::vector<std::string> DrawSweepCharts(const std::vector<SweepPoint>& points, const std::string& dir,
                                         const std::string& subtitle, double max_p99_ms,
                                         const Recommendation* recommended, std::string& note) {
  std::vector<std::string> made;
  if (points.empty()) {
    note = "no points to draw";
    return made;
  }
  // Axes and series, in the order the sweep ran them.
  std::vector<uint32_t> batches;
  std::vector<int> concurrencies;
  std::vector<std::string> combos;
  for (const SweepPoint& p : points) {
    if (std::find(batches.begin(), batches.end(), p.batch_size) == batches.end()) batches.push_back(p.batch_size);
    if (std::find(concurrencies.begin(), concurrencies.end(), p.concurrency) == concurrencies.end())
      concurrencies.push_back(p.concurrency);
    if (std::find(combos.begin(), combos.end(), ComboOf(p)) == combos.end()) combos.push_back(ComboOf(p));
  }
  std::sort(batches.begin(), batches.end());
  std::sort(concurrencies.begin(), concurrencies.end());
  auto find = [&](uint32_t b, int c, const std::string& combo) -> const SweepPoint* {
    for (const SweepPoint& p : points)
      if (p.batch_size == b && p.concurrency == c && ComboOf(p) == combo) return &p;
    return nullptr;
  };
  auto combo_file = [&](size_t i) {
    if (combos.size() == 1) return std::string();
    std::string s = "_" + combos[i];
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    std::replace(s.begin(), s.end(), ',', '_');
    return s;
  };

  // Data files.
  for (size_t ci = 0; ci < combos.size(); ++ci) {
    std::string data;
    for (size_t yi = 0; yi < batches.size(); ++yi) {
      for (size_t xi = 0; xi < concurrencies.size(); ++xi) {
        const SweepPoint* p = find(batches[yi], concurrencies[xi], combos[ci]);
        data += std::to_string(xi) + " " + std::to_string(yi) + " " +
                (p && p->result.records > 0 ? Fixed(p->result.records_per_s, 1) : std::string("NaN")) + "\n";
      }
      data += "\n";
    }
    if (!WriteText(dir + "/heatmap" + combo_file(ci) + ".dat", data).ok()) {
      note = "cannot write the chart data into " + dir;
      return made;
    }
  }
  std::string series_data;
  std::vector<std::string> series_titles;
  for (size_t ci = 0; ci < combos.size(); ++ci) {
    for (uint32_t b : batches) {
      std::string block;
      for (int c : concurrencies) {
        const SweepPoint* p = find(b, c, combos[ci]);
        if (!p || p->result.records == 0) continue;
        block += std::to_string(c) + " " + Fixed(p->result.records_per_s, 1) + " " +
                 Fixed(std::max(0.001, p->result.latency.p99_ms), 3) + "\n";
      }
      if (block.empty()) continue;
      series_data += block + "\n\n";
      series_titles.push_back(std::to_string(b) + (combos.size() > 1 ? " (" + combos[ci] + ")" : ""));
    }
  }
  if (!WriteText(dir + "/p99_vs_throughput.dat", series_data).ok()) {
    note = "cannot write the chart data into " + dir;
    return made;
  }
  if (recommended != nullptr &&
      !WriteText(dir + "/p99_recommended.dat", Fixed(recommended->point.result.records_per_s, 1) + " " +
                                                   Fixed(std::max(0.001, recommended->point.result.latency.p99_ms), 3) +
                                                   "\n")
           .ok()) {
    note = "cannot write the chart data into " + dir;
    return made;
  }

  // One script, drawn twice (PNG, SVG).
  auto charts = [&](const std::string& ext, const std::string& terminal) {
    std::string s;
    for (size_t ci = 0; ci < combos.size(); ++ci) {
      const std::string name = "throughput_heatmap" + combo_file(ci) + "." + ext;
      s += "reset\nset terminal " + terminal + "\nset output '" + name + "'\n";
      s += "set datafile missing 'NaN'\n";
      s += "set title \"Throughput by batch size and concurrency (records/s)\\n{/*0.8 " + GnuplotText(subtitle) + "; payload " +
           GnuplotText(combos[ci].substr(0, combos[ci].find(','))) + ", compress " +
           GnuplotText(combos[ci].substr(combos[ci].find(',') + 2)) + "}\"\n";
      s += "set xlabel 'concurrency (requests in flight)'\nset ylabel 'batch size (records per request)'\n";
      s += "set cblabel 'throughput (records/s)'\nset format cb '%.0s%c'\n";
      s += "set xrange [-0.5:" + std::to_string(concurrencies.size()) + "-0.5]\n";
      s += "set yrange [-0.5:" + std::to_string(batches.size()) + "-0.5]\n";
      s += "set xtics (";
      for (size_t i = 0; i < concurrencies.size(); ++i)
        s += (i ? ", " : "") + std::string("\"") + std::to_string(concurrencies[i]) + "\" " + std::to_string(i);
      s += ")\nset ytics (";
      for (size_t i = 0; i < batches.size(); ++i)
        s += (i ? ", " : "") + std::string("\"") + std::to_string(batches[i]) + "\" " + std::to_string(i);
      s += ")\nset tics scale 0\nset palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n";
      s += "set style textbox opaque border lc rgb '#888888'\nunset key\n";
      if (recommended != nullptr && ComboOf(recommended->point) == combos[ci]) {
        // A frame around the recommended cell, drawn over the image.
        const auto xi = std::find(concurrencies.begin(), concurrencies.end(), recommended->point.concurrency) -
                        concurrencies.begin();
        const auto yi = std::find(batches.begin(), batches.end(), recommended->point.batch_size) - batches.begin();
        s += "set object 1 rect from " + Fixed(static_cast<double>(xi) - 0.47, 2) + "," +
             Fixed(static_cast<double>(yi) - 0.47, 2) + " to " + Fixed(static_cast<double>(xi) + 0.47, 2) + "," +
             Fixed(static_cast<double>(yi) + 0.47, 2) + " front fillstyle empty border lc rgb '#e41a1c' lw 4\n";
        s += "set label 1 'recommended' at " + Fixed(static_cast<double>(xi), 2) + "," +
             Fixed(static_cast<double>(yi) + 0.3, 2) + " center front tc rgb '#e41a1c' font ',9'\n";
      }
      s += "plot 'heatmap" + combo_file(ci) + ".dat' using 1:2:3 with image, '' using 1:2:(sprintf('%.1fk', $3/1000)) "
           "with labels boxed font ',10'\n";
      made.push_back(name);
    }
    if (series_titles.empty()) return s;  // no point delivered anything: nothing to draw
    const std::string name = "p99_vs_throughput." + ext;
    s += "reset\nset terminal " + terminal + "\nset output '" + name + "'\n";
    s += "set title \"p99 request latency against throughput\\n{/*0.8 " + GnuplotText(subtitle) +
         "; point labels: concurrency}\"\n";
    s += "set xlabel 'throughput (records/s)'\nset ylabel 'p99 latency (ms, log scale)'\n";
    s += "set logscale y\nset grid xtics ytics mytics\nset format x '%.0s%c'\n";
    // Dark2: distinguishable on white, also in greyscale print.
    const char* colors[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"};
    for (int i = 0; i < 8; ++i) s += "set linetype " + std::to_string(i + 1) + " lc rgb '" + colors[i] + "'\n";
    s += "set key outside right top title 'batch size' box\nset xrange [0:*]\n";
    // Leave room above both the data and the limit line, so the line and its label never sit on
    // the frame (autoscale would end the axis exactly at the limit when it is the largest value).
    double top_ms = max_p99_ms;
    for (const SweepPoint& p : points) top_ms = std::max(top_ms, p.result.latency.p99_ms);
    if (top_ms > 0) s += "set yrange [*:" + Fixed(top_ms * 2.5, 3) + "]\n";
    if (max_p99_ms > 0) {
      s += "set arrow from graph 0, first " + Fixed(max_p99_ms, 3) + " to graph 1, first " + Fixed(max_p99_ms, 3) +
           " nohead dt 2 lc rgb '#cc0000'\n";
      s += "set label 'max p99 " + Fixed(max_p99_ms, 0) + " ms' at graph 0.02, first " + Fixed(max_p99_ms * 1.15, 3) +
           " tc rgb '#cc0000' font ',9'\n";
    }
    s += "plot ";
    if (recommended != nullptr) {
      // A large ring around the recommended point, first so the series draw over its inside.
      s += "'p99_recommended.dat' using 1:2 with points pt 6 ps 3.5 lw 3 lc rgb '#e41a1c' title 'recommended (" +
           std::to_string(recommended->point.batch_size) + " x " + std::to_string(recommended->point.concurrency) +
           ")', \\\n     ";
    }
    for (size_t i = 0; i < series_titles.size(); ++i) {
      if (i) s += ", \\\n     ";
      s += "'p99_vs_throughput.dat' index " + std::to_string(i) + " using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '" +
           series_titles[i] + "', '' index " + std::to_string(i) +
           " using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle";
    }
    s += "\n";
    made.push_back(name);
    return s;
  };
  const std::string script =
      charts("png", "pngcairo size 1000,650 enhanced font 'DejaVu Sans,11'") +
      charts("svg", "svg size 1000,650 dynamic enhanced font 'DejaVu Sans,11' background rgb 'white'");
  if (!WriteText(dir + "/sweep.gp", script).ok()) {
    note = "cannot write " + dir + "/sweep.gp";
    made.clear();
    return made;
  }
  if (!RunGnuplot(dir, "sweep.gp", note)) made.clear();
  return made;
}

Status RunSweep(const SweepOptions& options, const std::atomic<int>* stop, std::vector<SweepPoint>& points,
                std::optional<Recommendation>& recommendation) {
  if (options.batch_sizes.empty() || options.concurrencies.empty())
    return InvalidArgument("--batch-sizes and --concurrency need at least one value each");
  if (options.point_duration_s <= 0) return InvalidArgument("--point-duration must be positive");
  for (int c : options.concurrencies)
    if (c < 1) return InvalidArgument("--concurrency values must be at least 1");
  for (uint32_t b : options.batch_sizes)
    if (b < 1) return InvalidArgument("--batch-sizes values must be at least 1");
  SLUICE_RETURN_IF_ERROR(MakeDirs(options.out_dir));
  const std::string default_payload =
      options.base.run.payload.empty() ? (options.base.run.sink_format == "featurebase" ? "raw" : "mapped")
                                       : options.base.run.payload;
  const std::vector<std::string> payloads =
      options.payloads.empty() ? std::vector<std::string>{default_payload} : options.payloads;
  const std::vector<std::string> compressions =
      options.compressions.empty() ? std::vector<std::string>{options.base.run.compress} : options.compressions;
  const size_t total = payloads.size() * compressions.size() * options.batch_sizes.size() * options.concurrencies.size();
  const std::string csv_path = options.out_dir + "/sweep.csv";
  points.clear();
  Status status = Status::Ok();
  for (const std::string& payload : payloads) {
    for (const std::string& compress : compressions) {
      for (uint32_t batch : options.batch_sizes) {
        for (int concurrency : options.concurrencies) {
          if (stop && stop->load() > 0) {
            status = Status(StatusCode::kCancelled, "sweep interrupted");
            break;
          }
          BenchOptions b = options.base;
          b.rate = 0;
          b.duration_s = options.point_duration_s;
          b.records = 0;
          b.warmup_s = options.warmup_s;
          b.run.batch_size = batch;
          b.run.concurrency = std::to_string(concurrency);
          b.run.payload = payload;
          b.run.compress = compress;
          b.run.report_file.clear();
          b.run.quiet = true;
          SweepPoint p;
          p.batch_size = batch;
          p.concurrency = concurrency;
          p.payload = payload;
          p.compress = compress;
          Status s = RunBench(b, stop, p.result);
          Logf(LogLevel::kInfo, "sweep",
               "[%zu/%zu] batch %u, concurrency %d, %s, %s: %.0f records/s, %.2f MB/s, "
               "p99 %.2f ms, errors %llu, retries %llu",
               points.size() + 1, total, batch, concurrency, payload.c_str(), compress.c_str(), p.result.records_per_s,
               p.result.mb_per_s, p.result.latency.p99_ms, static_cast<unsigned long long>(p.result.Errors()),
               static_cast<unsigned long long>(p.result.retries));
          points.push_back(std::move(p));
          SLUICE_RETURN_IF_ERROR(WriteText(csv_path, SweepCsv(points)));
          if (!s.ok()) {
            status = s.WithContext("sweep point batch " + std::to_string(batch) + " concurrency " +
                                   std::to_string(concurrency));
            break;
          }
        }
        if (!status.ok()) break;
      }
      if (!status.ok()) break;
    }
    if (!status.ok()) break;
  }
  SLUICE_RETURN_IF_ERROR(WriteText(csv_path, SweepCsv(points)));

  const std::string subtitle = options.base.run.sink_format + " sink, closed loop, " + Fixed(options.point_duration_s, 1) +
             " s per point after " + Fixed(options.warmup_s, 1) + " s warm-up";
  recommendation = Recommend(points, options.max_p99_ms, options.within_fraction);
  std::string note;
  const std::vector<std::string> charts = DrawSweepCharts(points, options.out_dir, subtitle, options.max_p99_ms,
                                                          recommendation ? &*recommendation : nullptr, note);
  Logf(LogLevel::kInfo, "sweep", "wrote %s; %s%s", csv_path.c_str(), note.c_str(),
       charts.empty() ? "" : (" (" + std::to_string(charts.size()) + " files)").c_str());

  std::string text;
  if (recommendation) {
    text = "recommendation: " + recommendation->explanation + "\n";
    if (!options.write_config.empty()) {
      SLUICE_RETURN_IF_ERROR(WriteText(options.write_config,
                                       RecommendedConfig(*recommendation, !options.payloads.empty(),
                                                         !options.compressions.empty())));
      text += "written as a config file: " + options.write_config + "\n";
    }
  } else {
    text = "recommendation: none: no error-free point kept p99 at or under " + Fixed(options.max_p99_ms, 0) + " ms\n";
  }
  SLUICE_RETURN_IF_ERROR(WriteText(options.out_dir + "/recommendation.txt", text));
  std::fprintf(stdout, "%s", text.c_str());
  return status;
}

}  // namespace sluice::bench
