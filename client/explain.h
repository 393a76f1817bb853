/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* ptrwatch explain ADDRESS: every lookup behind the verdict, why each PTR
 * name confirms or not, the receivers, who to ask and for what. Returns the
 * verdict's exit status, or EXIT_UNKNOWN/EXIT_USAGE. */
int explain_run(sd_bus *bus, const char *address, bool json);
