#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

int log_level_current = LOG_LVL_NOTICE;

static const char *log_prog = "tlspolicyd";
static int log_to_stderr = 1;

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug"
};

static const int level_syslog[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG
};

void
log_init(const char *prog, int to_stderr, int level)
{
	log_prog = prog;
	log_to_stderr = to_stderr;
	log_level_current = level;
	if (!to_stderr)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
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
		if (level <= LOG_LVL_WARN)
			fprintf(stderr, "%s: %s: %s\n", log_prog,
			    level_names[level], buf);
		else
			fprintf(stderr, "%s: %s\n", log_prog, buf);
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
