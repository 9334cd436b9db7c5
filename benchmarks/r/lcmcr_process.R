# LCMCR as a whole R process, for benchmarks/bench_process.py --r (same settings as the
# reference notes: K = 10, seed 1234, burn-in 10 000, 1 000 samples thinned by 100).
# Usage: Rscript lcmcr_process.R histories.csv   (one 0/1 column per list and a count column)
suppressMessages(library(LCMCR))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
lists <- setdiff(names(d), "count")
tab <- d[, c(lists, "count")]
for (l in lists) tab[[l]] <- factor(tab[[l]], levels = c(0, 1))
names(tab)[ncol(tab)] <- "Freq"
obj <- lcmCR(tab, tabular = TRUE, K = 10, a_alpha = 0.25, b_alpha = 0.25, seed = 1234,
             verbose = FALSE)
n <- lcmCR_PostSampl(obj, burnin = 10000, samples = 1000, thinning = 100, output = FALSE)
cat(median(n), quantile(n, c(0.025, 0.975)), "\n")
