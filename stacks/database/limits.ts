/**
 * max_connections, pinned in the parameter group so the connections alarm's threshold is exact.
 * RDS's default is LEAST(DBInstanceClassMemory / 9531392, 5000): at most 112 on db.t4g.micro (1 GiB),
 * and lower in practice, since DBInstanceClassMemory is what is left after RDS's own reserve. 80 is
 * below the formula's value for a full 1 GiB and about twice what prod's workers open at full scale
 * (8 tasks x 5 connections + 1 migration = 41); config validation refuses a worker scale that would
 * cross the connections alarm.
 */
export const MAX_CONNECTIONS = 80;
