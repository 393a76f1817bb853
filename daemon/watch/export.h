/* SPDX-License-Identifier: MIT */
#pragma once

#include "metrics.h"

/* [Export] PrometheusTextfile=: the metrics written atomically
 * (write_file_atomic(): the temporary file .NAME.tmp is one node_exporter's
 * textfile collector ignores for not ending in .prom), so that a scrape
 * never sees half a file. */
int export_textfile(const char *path, const MetricsInput *in);

/* What to do about a metrics file that could not be written (r, from
 * export_textfile()): a sentence naming the fix, or "" when there is none
 * to name. */
const char *export_hint(int r);

/* Remember in the state directory where the metrics went (the file
 * EXPORT_RECORD_NAME holds the path), so that removing the package can
 * remove them too: node_exporter would go on serving a gone daemon's
 * verdicts. */
#define EXPORT_RECORD_NAME "metrics-path"
int export_record(const char *state_dir, const char *path);
