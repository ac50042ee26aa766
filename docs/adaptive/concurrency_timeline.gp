reset
set terminal pngcairo size 1000,600 enhanced font 'DejaVu Sans,11'
set output 'concurrency_timeline.png'
set title "In-flight limit and throughput against time\n{/*0.8 sink emulator 200 ms +- 80, closed loop, batch 250, concurrency auto (max 512), first 10 s}"
set xlabel 'time since start (s)'
set ylabel 'in-flight limit (requests)'
set y2label 'throughput (records/s)'
set y2tics
set ytics nomirror
set format y2 '%.1s%c'
set yrange [0:565]
set y2range [0:*]
set xrange [0:*]
set grid xtics ytics
set key top left box opaque
plot 'concurrency_timeline.dat' using 1:3 axes x1y2 with lines lw 1.5 lc rgb '#1b9e77' title 'throughput (records/s, right)', \
     '' using 1:2 with steps lw 2.5 lc rgb '#d95f02' title 'in-flight limit (left)'
