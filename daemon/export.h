/* SPDX-License-Identifier: MIT */
#pragma once

#include "metrics.h"

/* [Export] PrometheusTextfile=: the metrics written atomically (a temporary
 * file in the same directory, which node_exporter's textfile collector
 * ignores for not ending in .prom; fsync; rename), so that a scrape never
 * sees half a file. */
int export_textfile(const char *path, const MetricsInput *in);
