/* SPDX-License-Identifier: MIT */
#pragma once

#include "mta-found.h"

/* Where mail really leaves from, as the MTA's own tools say: postconf for
 * Postfix, exim -bP for Exim. Never a parser of their files. */

int postfix_discover(const Config *c, MtaFound *f);
int exim_discover(const Config *c, MtaFound *f);

/* Runs the MTA discovery the configuration asks for, synchronously, and
 * resolves the relays' names with the configured resolver: the identities
 * and notes in ret->found and ret->notes. */
int mta_discover(const Config *c, DiscoveryResult *ret, bool *ret_failed);
/* *ret_failed: a tool could not be run, failed or took too long (its
 * notes say which); what was found is still returned. */
