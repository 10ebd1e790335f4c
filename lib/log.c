/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

int log_level_current = LOG_LVL_NOTICE;

static const char *log_prog = "tlspolicyd";
static int log_to_stderr = 1;
static int log_journal;		/* stderr is systemd's journal stream */
static int log_facility = LOG_MAIL;

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug"
};

static const int level_syslog[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG
};

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int
log_facility_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	return -1;
}

/*
 * Is stderr the stream systemd passed in JOURNAL_STREAM ("DEV:INODE")?  Only
 * then do lines carry the "<N>" priority prefix; a redirected stderr (a file,
 * a pipe to another program) gets plain lines.
 */
int
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (js == NULL || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev
	    && (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *prog, int to_stderr, int level)
{
	log_prog = prog;
	log_to_stderr = to_stderr;
	log_level_current = level;
	log_journal = to_stderr && log_stderr_is_journal();
	if (!to_stderr)
		openlog(prog, LOG_PID | LOG_NDELAY, log_facility);
}

void
log_set_facility(int facility)
{
	log_facility = facility;
	if (!log_to_stderr) {
		closelog();
		openlog(log_prog, LOG_PID | LOG_NDELAY, log_facility);
	}
}

void
log_set_level(int level)
{
	log_level_current = level;
}

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < 0 || level > LOG_LVL_DEBUG)
		return "?";
	return level_names[level];
}

void
log_msg(int level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (!LOG_ENABLED(level))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_to_stderr) {
		char pri[8] = "";

		if (log_journal)
			snprintf(pri, sizeof(pri), "<%d>", level_syslog[level]);
		if (level <= LOG_LVL_WARN)
			fprintf(stderr, "%s%s: %s: %s\n", pri, log_prog,
			    level_names[level], buf);
		else
			fprintf(stderr, "%s%s: %s\n", pri, log_prog, buf);
	} else if (level <= LOG_LVL_WARN) {
		syslog(level_syslog[level], "%s: %s", level_names[level], buf);
	} else {
		syslog(level_syslog[level], "%s", buf);
	}
}

const char *
log_safe(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t i;

	if (buflen == 0)
		return buf;
	for (i = 0; i < len && i + 1 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
		    ? (char)c : '?';
	}
	buf[i] = '\0';
	return buf;
}

int
log_limit_ok_at(struct log_limit *ll, long long now_ms, long interval_ms,
    unsigned long *held)
{
	if (ll->started && now_ms < ll->next_ms) {
		ll->held++;
		return 0;
	}
	ll->started = 1;
	ll->next_ms = now_ms + interval_ms;
	if (held != NULL)
		*held = ll->held;
	ll->held = 0;
	return 1;
}

int
log_limit_ok(struct log_limit *ll, long interval_ms, unsigned long *held)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return log_limit_ok_at(ll, (long long)ts.tv_sec * 1000
	    + ts.tv_nsec / 1000000, interval_ms, held);
}
