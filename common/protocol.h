/* SPDX-License-Identifier: MIT */
#pragma once

/* What ptrwatchd and ptrwatch agree on, stated once: the D-Bus names
 * (dbus/org.ptrwatch.PtrWatch1.xml is the reference), Check()'s flags and
 * the exit codes of both programs (the monitoring-plugin convention). */

#define BUS_NAME      "org.ptrwatch.PtrWatch1"
#define BUS_PATH      "/org/ptrwatch/PtrWatch1"
#define BUS_INTERFACE "org.ptrwatch.PtrWatch1.Manager"

/* Our own error; the others are org.freedesktop.DBus.Error.* */
#define BUS_ERROR_RATE_LIMITED "org.ptrwatch.PtrWatch1.Error.RateLimited"

/* Check() flags */
#define BUS_CHECK_FORCE 1u              /* bypass the cache: root and ptrwatchd only */
#define BUS_CHECK_FLAGS_ALL BUS_CHECK_FORCE

/* ListVerdicts() flags */
#define BUS_LIST_PROBLEMS 1u            /* only the verdicts that are not pass */
#define BUS_LIST_FLAGS_ALL BUS_LIST_PROBLEMS

/* Exit codes: pass 0, warn 1, fail 2, temperror/unknown 3 (also when the
 * daemon, the bus or the resolver cannot be reached), usage 64 (EX_USAGE). */
#define EXIT_PASS      0
#define EXIT_WARN      1
#define EXIT_FAIL      2
#define EXIT_UNKNOWN   3
#define EXIT_USAGE     64
