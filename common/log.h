/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* Lines go to stderr; with prefixes on, each starts with "<N>" (sd-daemon(3))
 * so that systemd or a log collector keeps the priority. */
void log_set_max_level(int level);
/* PTRWATCH_LOG_LEVEL=debug|info|notice|warning|err (or 0-7), as SYSTEMD_LOG_LEVEL. */
void log_parse_environment(void);
void log_set_prefix(bool on);
void log_set_program(const char *name);

void log_full(int level, const char *fmt, ...) _printf_(2, 3);

/* The same, then ": " and the text of the errno error (either sign);
 * returns it as a negative errno, for "return log_error_errno(r, ...)". */
int log_full_errno(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
