/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "timeutil.h"

/* Running another program (postconf, exim) and reading what it prints. */

typedef struct CommandResult {
        int status;             /* exit status; -1 when killed or not run */
        char *out;              /* standard output, NUL-terminated */
        char *err;              /* the first line of standard error, or NULL */
        bool timed_out;
        bool truncated;         /* stdout was cut at the limit */
} CommandResult;

#define COMMAND_OUTPUT_MAX (4 * 1024 * 1024)

/* Runs argv[0] (searched in $PATH) with argv, standard input from /dev/null,
 * the signal mask cleared and LC_ALL=C, and waits at most timeout: then it
 * is killed. Returns 0 when it ran (whatever its exit status), -ENOENT when
 * there is no such program, or another negative errno. */
int command_run(char * const *argv, usec_t timeout, CommandResult *ret);
void command_result_done(CommandResult *r);

/* "postconf -c /etc/postfix -M", for messages. */
char *command_line(char * const *argv);
