reset
set terminal pngcairo size 1000,650 enhanced font 'DejaVu Sans,11'
set output 'throughput_heatmap.png'
set datafile missing 'NaN'
set title "Throughput by batch size and concurrency (records/s)\n{/*0.8 featurebase sink, closed loop, 3.0 s per point after 1.0 s warm-up; payload raw, compress none}"
set xlabel 'concurrency (requests in flight)'
set ylabel 'batch size (records per request)'
set cblabel 'throughput (records/s)'
set format cb '%.0s%c'
set xrange [-0.5:6-0.5]
set yrange [-0.5:4-0.5]
set xtics ("1" 0, "2" 1, "4" 2, "8" 3, "16" 4, "32" 5)
set ytics ("100" 0, "500" 1, "1000" 2, "5000" 3)
set tics scale 0
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
set style textbox opaque border lc rgb '#888888'
unset key
plot 'heatmap.dat' using 1:2:3 with image, '' using 1:2:(sprintf('%.1fk', $3/1000)) with labels boxed font ',10'
reset
set terminal pngcairo size 1000,650 enhanced font 'DejaVu Sans,11'
set output 'p99_vs_throughput.png'
set title "p99 request latency against throughput\n{/*0.8 featurebase sink, closed loop, 3.0 s per point after 1.0 s warm-up; point labels: concurrency}"
set xlabel 'throughput (records/s)'
set ylabel 'p99 latency (ms, log scale)'
set logscale y
set grid xtics ytics mytics
set format x '%.0s%c'
set linetype 1 lc rgb '#1b9e77'
set linetype 2 lc rgb '#d95f02'
set linetype 3 lc rgb '#7570b3'
set linetype 4 lc rgb '#e7298a'
set linetype 5 lc rgb '#66a61e'
set linetype 6 lc rgb '#e6ab02'
set linetype 7 lc rgb '#a6761d'
set linetype 8 lc rgb '#666666'
set key outside right top title 'batch size' box
set xrange [0:*]
set yrange [*:573.438]
set arrow from graph 0, first 100.000 to graph 1, first 100.000 nohead dt 2 lc rgb '#cc0000'
set label 'max p99 100 ms' at graph 0.02, first 115.000 tc rgb '#cc0000' font ',9'
plot 'p99_vs_throughput.dat' index 0 using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '100', '' index 0 using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle, \
     'p99_vs_throughput.dat' index 1 using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '500', '' index 1 using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle, \
     'p99_vs_throughput.dat' index 2 using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '1000', '' index 2 using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle, \
     'p99_vs_throughput.dat' index 3 using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '5000', '' index 3 using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle
reset
set terminal svg size 1000,650 dynamic enhanced font 'DejaVu Sans,11' background rgb 'white'
set output 'throughput_heatmap.svg'
set datafile missing 'NaN'
set title "Throughput by batch size and concurrency (records/s)\n{/*0.8 featurebase sink, closed loop, 3.0 s per point after 1.0 s warm-up; payload raw, compress none}"
set xlabel 'concurrency (requests in flight)'
set ylabel 'batch size (records per request)'
set cblabel 'throughput (records/s)'
set format cb '%.0s%c'
set xrange [-0.5:6-0.5]
set yrange [-0.5:4-0.5]
set xtics ("1" 0, "2" 1, "4" 2, "8" 3, "16" 4, "32" 5)
set ytics ("100" 0, "500" 1, "1000" 2, "5000" 3)
set tics scale 0
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
set style textbox opaque border lc rgb '#888888'
unset key
plot 'heatmap.dat' using 1:2:3 with image, '' using 1:2:(sprintf('%.1fk', $3/1000)) with labels boxed font ',10'
reset
set terminal svg size 1000,650 dynamic enhanced font 'DejaVu Sans,11' background rgb 'white'
set output 'p99_vs_throughput.svg'
set title "p99 request latency against throughput\n{/*0.8 featurebase sink, closed loop, 3.0 s per point after 1.0 s warm-up; point labels: concurrency}"
set xlabel 'throughput (records/s)'
set ylabel 'p99 latency (ms, log scale)'
set logscale y
set grid xtics ytics mytics
set format x '%.0s%c'
set linetype 1 lc rgb '#1b9e77'
set linetype 2 lc rgb '#d95f02'
set linetype 3 lc rgb '#7570b3'
set linetype 4 lc rgb '#e7298a'
set linetype 5 lc rgb '#66a61e'
set linetype 6 lc rgb '#e6ab02'
set linetype 7 lc rgb '#a6761d'
set linetype 8 lc rgb '#666666'
set key outside right top title 'batch size' box
set xrange [0:*]
set yrange [*:573.438]
set arrow from graph 0, first 100.000 to graph 1, first 100.000 nohead dt 2 lc rgb '#cc0000'
set label 'max p99 100 ms' at graph 0.02, first 115.000 tc rgb '#cc0000' font ',9'
plot 'p99_vs_throughput.dat' index 0 using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '100', '' index 0 using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle, \
     'p99_vs_throughput.dat' index 1 using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '500', '' index 1 using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle, \
     'p99_vs_throughput.dat' index 2 using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '1000', '' index 2 using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle, \
     'p99_vs_throughput.dat' index 3 using 2:3 with linespoints lw 2 pt 7 ps 1.2 title '5000', '' index 3 using 2:3:(sprintf('%d', $1)) with labels offset char 0.9,0.6 font ',8' notitle
