/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "receivers-predict.h"
#include "verdict.h"

/* The verdicts of watched addresses, persisted across restarts in
 * STATE_DIR/verdicts. A line-based text format:
 *
 *   ptrwatch-state 1
 *   ADDRESS TAB VERDICT TAB REASONS TAB PTR TAB CONFIRMED TAB TTL TAB CHECKED_AT TAB EXPIRES_AT TAB MESSAGE
 *   ...
 *   end N
 *
 * lists comma-separated, times in microseconds (CLOCK_REALTIME), fields
 * escaped (\\, \t, \n, \, and \xHH). The "end" line catches truncation. */
#define STATE_FILE_NAME "verdicts"
#define STATE_FILE_MAX (64U * 1024U * 1024U)
#define STATE_ENTRIES_MAX 131072U

int state_format(Verdict * const *v, size_t n, char **ret, size_t *ret_size);
/* rules: the receivers' rule files the predictions are made with (NULL:
 * estimated), as for a fresh verdict. */
int state_parse(const char *text, size_t size, const ReceiverRules *rules, Verdict ***ret, size_t *ret_n,
                char **ret_error);

/* Write atomically: temp file, fsync, rename, fsync of the directory. */
int state_save(const char *dir, Verdict * const *v, size_t n);
/* Load; a missing file gives nothing. A corrupt or foreign file is renamed
 * aside (verdicts.corrupt-TIMESTAMP) with a warning and gives nothing. */
int state_load(const char *dir, const ReceiverRules *rules, Verdict ***ret, size_t *ret_n);

void verdicts_free(Verdict **v, size_t n);
