/* SPDX-License-Identifier: MIT */
/*
 * log - severity ladder and key=value records
 *
 * SYNOPSIS
 *	void log_init(const char *prog, int to_stderr, int level);
 *	int  log_level_parse(const char *name);   (-1 when unknown)
 *	int  log_facility_parse(const char *name); (-1 when unknown)
 *	void log_set_facility(int facility);
 *	int  log_stderr_is_journal(void);
 *	log_err(fmt, ...) log_warn(...) log_notice(...) log_info(...) log_debug(...)
 *	LOG_ENABLED(level)
 *	const char *log_safe(const char *s, size_t len, char *buf, size_t buflen);
 *	int  log_limit_ok(struct log_limit *ll, long interval_ms,
 *	         unsigned long *held);
 *
 * DESCRIPTION
 *	One ladder for every program: err (the program cannot do what was
 *	asked), warning (trouble it recovers from), notice (state changes:
 *	start, reload), info (one line per answer), debug.  Messages go to
 *	stderr with the program name when to_stderr is set, else to syslog
 *	(facility mail, like Postfix, or the one log_set_facility() sets:
 *	mail, daemon, user, local0 to local7).
 *
 *	When stderr is the journal stream systemd names in JOURNAL_STREAM
 *	(its device and inode match), each line starts with the syslog
 *	priority in sd-daemon(3) form, "<3>" for err to "<7>" for debug, so
 *	that "journalctl -p warning" selects by severity.  log_init() looks
 *	once; children that inherit stderr and the variable do the same.
 *
 *	Callers on hot paths test LOG_ENABLED() before formatting, so a
 *	disabled level costs one comparison.
 *
 *	log_safe() copies untrusted bytes for logging: printable ASCII
 *	except '"' and '\\' is kept, everything else becomes '?'; output is
 *	NUL-terminated and truncated to buflen - 1.  It returns buf.
 */
#ifndef TLSPOL_LOG_H
#define TLSPOL_LOG_H

#include <stddef.h>

enum {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

extern int log_level_current;

#define LOG_ENABLED(lvl) ((lvl) <= log_level_current)

void log_init(const char *prog, int to_stderr, int level);
void log_set_level(int level);
void log_set_facility(int facility);
int log_facility_parse(const char *name);
int log_stderr_is_journal(void);
int log_level_parse(const char *name);
const char *log_level_name(int level);
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *log_safe(const char *s, size_t len, char *buf, size_t buflen);

/*
 * A rate limit for a repeated log line: log_limit_ok() is 1 when the line
 * may be written now (at most one per interval_ms), with *held set to the
 * number of lines held back since the last one written; 0 when it is held
 * back (and counted).  log_limit_ok_at() takes the time (milliseconds of
 * any monotonic clock) for tests; log_limit_ok() reads CLOCK_MONOTONIC.
 * A zeroed struct log_limit is ready for use.
 */
struct log_limit {
	long long next_ms;
	unsigned long held;
	int started;
};

int log_limit_ok_at(struct log_limit *ll, long long now_ms, long interval_ms,
    unsigned long *held);
int log_limit_ok(struct log_limit *ll, long interval_ms, unsigned long *held);

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	do { if (LOG_ENABLED(LOG_LVL_INFO)) log_msg(LOG_LVL_INFO, __VA_ARGS__); } while (0)
#define log_debug(...)	do { if (LOG_ENABLED(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
