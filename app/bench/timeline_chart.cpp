#include "app/bench/timeline_chart.h"

#include <algorithm>

#include "app/bench/chart_files.h"

namespace sluice::bench {

std::string TimelineData(const std::vector<TimelinePoint>& points) {
  const std::vector<double> rates = ThroughputSeries(points);
  std::string data = "# t_s limit records_per_s\n";
  for (size_t i = 0; i < rates.size(); ++i) {
    data += Fixed(points[i + 1].t_s, 3) + " " + std::to_string(points[i + 1].limit) + " " + Fixed(rates[i], 1) + "\n";
  }
  return data;
}

std::vector<std::string> DrawTimelineChart(const BenchResult& r, const std::string& dir, std::string& note) {
  std::vector<std::string> made;
  if (r.timeline.size() < 2) {
    note = "too few samples to draw";
    return made;
  }
  if (Status s = MakeDirs(dir); !s.ok()) {
    note = s.ToString();
    return made;
  }
  if (!WriteText(dir + "/concurrency_timeline.dat", TimelineData(r.timeline)).ok()) {
    note = "cannot write the chart data into " + dir;
    return made;
  }
  int top_limit = 1;
  for (const TimelinePoint& p : r.timeline) top_limit = std::max(top_limit, p.limit);
  const std::string concurrency =
      r.adaptive_concurrency ? "concurrency auto" : "concurrency " + std::to_string(r.concurrency);
  const std::string subtitle = r.sink_format + " sink, " + (r.mode == "open" ? "open" : "closed") + " loop, batch " +
                               std::to_string(r.batch_size) + ", " + concurrency;
  auto chart = [&](const std::string& ext, const std::string& terminal) {
    const std::string name = "concurrency_timeline." + ext;
    std::string s = "reset\nset terminal " + terminal + "\nset output '" + name + "'\n";
    s += "set title \"In-flight limit and throughput against time\\n{/*0.8 " + GnuplotText(subtitle) + "}\"\n";
    s += "set xlabel 'time since start (s)'\nset ylabel 'in-flight limit (requests)'\n";
    s += "set y2label 'throughput (records/s)'\nset y2tics\nset ytics nomirror\nset format y2 '%.1s%c'\n";
    s += "set yrange [0:" + std::to_string(top_limit + top_limit / 10 + 1) + "]\nset y2range [0:*]\nset xrange [0:*]\n";
    s += "set grid xtics ytics\nset key top left box opaque\n";
    if (r.warmup_s > 0 && r.warmup_completed) {
      s += "set arrow from first " + Fixed(r.warmup_s, 3) + ", graph 0 to first " + Fixed(r.warmup_s, 3) +
           ", graph 1 nohead dt 2 lc rgb '#888888'\n";
      s += "set label 'end of warm-up' at first " + Fixed(r.warmup_s, 3) +
           ", graph 0.95 offset char 0.5,0 "
           "tc rgb '#888888' font ',9'\n";
    }
    s += "plot 'concurrency_timeline.dat' using 1:3 axes x1y2 with lines lw 1.5 lc rgb '#1b9e77' title "
         "'throughput (records/s, right)', \\\n     '' using 1:2 with steps lw 2.5 lc rgb '#d95f02' title "
         "'in-flight limit (left)'\n";
    made.push_back(name);
    return s;
  };
  const std::string script =
      chart("png", "pngcairo size 1000,600 enhanced font 'DejaVu Sans,11'") +
      chart("svg", "svg size 1000,600 dynamic enhanced font 'DejaVu Sans,11' background rgb 'white'");
  if (!WriteText(dir + "/concurrency_timeline.gp", script).ok()) {
    note = "cannot write " + dir + "/concurrency_timeline.gp";
    made.clear();
    return made;
  }
  if (!RunGnuplot(dir, "concurrency_timeline.gp", note)) made.clear();
  return made;
}

}  // namespace sluice::bench
