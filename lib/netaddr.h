/* SPDX-License-Identifier: MIT */
#ifndef TLSPOL_NETADDR_H
#define TLSPOL_NETADDR_H

#include <sys/socket.h>

extern int netaddr_parse(const char *, int, struct sockaddr_storage *,
    socklen_t *);

#endif
