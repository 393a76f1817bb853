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
 * Conservative: only the pattern's top level is read. A run of plain
 * characters is required (a character made optional by ?, * or {0,…} is
 * dropped; a class, an escape that is not a plain character, or "." ends
 * the run); so is a group whose alternatives are all plain characters,
 * unless a quantifier lets it be absent; every other group is skipped. A
 * pattern with alternation at the top level, inline options, \Q…\E or
 * backtracking verbs has none; the caller does not ask for a pattern
 * compiled with the x flag.
 *
 * The filter: one requirement a line, each the literals ('|' between them)
 * of which a subject must contain one: "dsl|cable|dhcp\n rdns=\n" (the
 * groups, then the longest run); lower-cased when caseless. NULL: none (or
 * no memory: a filter only saves work). */
char *regex_prefilter(const char *pattern, size_t len, bool caseless);

/* Whether the subject can match: it meets every requirement of the filter
 * (NULL: none). Caseless, the literals are looked for in subject_lower, the
 * subject lower-cased; a subject that is not ASCII may match a caseless
 * pattern without them (Unicode folds "ſ" to "s", "K" to "k"): true then. */
bool regex_prefilter_possible(const char *filter, bool caseless, const char *subject, size_t subject_len,
                              const char *subject_lower, bool subject_ascii);
