#ifndef CEAUTH_CSYSTEM_H
#define CEAUTH_CSYSTEM_H

/* System calls Swift cannot make itself: prctl(2) is variadic, which Swift does not import. */

/* Marks the process not dumpable: no core file (even through a core_pattern pipe) and no
   ptrace by other processes of the same user, since ceauth holds secrets in memory.
   0 on success, -1 with errno set. */
int ceauth_set_not_dumpable(void);

#endif
