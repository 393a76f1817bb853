/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A prefilter for Perl-style regular expressions: literals that every
 * match of the pattern contains, so that a subject without them is known
 * not to match without running the matcher (most of SpamAssassin's relay
 * rules look for words such as "dsl|cable|dhcp" that a given relay line
 * does not have).
 *
 * Conservative: a sequence of the pattern is read at its own level. Each
 * run of plain characters is required (a character made optional by ?, *
 * or {0,…} is dropped; a class, an escape that is not a plain character,
 * or "." ends the run). So is a group that must match (no quantifier lets
 * it be absent; not an assertion, condition or named group), as one of the
 * longest runs of its alternatives, each read the same way, down to
 * REGEX_GROUP_DEPTH_MAX: "(?:dial|\S?dsl)" requires "dial" or "dsl"; an
 * alternative without a run of its own makes the group require nothing.
 * Alternatives at the top level are such a group. A pattern with inline
 * options, \Q…\E or backtracking verbs has none; the caller does not ask
 * for a pattern compiled with the x flag.
 *
 * The filter: one requirement a line, each the literals ('|' between them)
 * of which a subject must contain one: " rdns=\ndsl|cable|dhcp\n";
 * lower-cased when caseless. NULL: none (or no memory: a filter only saves
 * work). */
char *regex_prefilter(const char *pattern, size_t len, bool caseless);

/* Whether the subject can match: it meets every requirement of the filter
 * (NULL: none). Caseless, the literals are looked for in subject_lower, the
 * subject lower-cased; a subject that is not ASCII may match a caseless
 * pattern without them (Unicode folds "ſ" to "s", "K" to "k"): true then. */
bool regex_prefilter_possible(const char *filter, bool caseless, const char *subject, size_t subject_len,
                              const char *subject_lower, bool subject_ascii);
