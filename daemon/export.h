/* SPDX-License-Identifier: MIT */
#pragma once

#include "metrics.h"

/* [Export] PrometheusTextfile=: the metrics written atomically
 * (write_file_atomic(): the temporary file .NAME.tmp is one node_exporter's
 * textfile collector ignores for not ending in .prom), so that a scrape
 * never sees half a file. */
int export_textfile(const char *path, const MetricsInput *in);
