// Staff accounts: managers keep their shop's (kitchen, counter, drivers), head office everyone's;
// invitations and password links go by email to the configured origin only (a request's Host is
// whatever its sender wrote).
import { staffCreateSchema, staffQuery, staffUpdateSchema } from '../../src/lib/shapes/back-office-requests.ts';
import { createStaff, getStaff, listStaff, sendAccountLink, setStaffActive, updateStaff, type AccountLinks } from '../../src/lib/server/staff/staff.ts';
import { Routes, created, numericId, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function staffRoutes(ctx: ApiContext) {
  const { db, config } = ctx;
  const api = new Routes(ctx);
  const managers = api.staff(can.runShop);
  const links = (): AccountLinks => ({
    mailer: ctx.mailer,
    origin: config.publicOrigin,
    inviteTtlHours: config.INVITE_TTL_HOURS,
    resetTtlMinutes: config.RESET_TTL_MINUTES,
  });

  managers.get('/staff', { query: staffQuery }, ({ actor, query }) => listStaff(db, actor, query));
  managers.get('/staff/:id', {}, ({ req, actor }) => getStaff(db, actor, numericId(req)));
  managers.post('/staff', { body: staffCreateSchema }, async ({ actor, body }) => created(await createStaff(db, actor, body, links())));
  managers.patch('/staff/:id', { body: staffUpdateSchema }, ({ req, actor, body }) => updateStaff(db, actor, numericId(req), body));
  managers.post('/staff/:id/disable', {}, ({ req, actor }) => setStaffActive(db, actor, numericId(req), false));
  managers.post('/staff/:id/enable', {}, ({ req, actor }) => setStaffActive(db, actor, numericId(req), true));
  managers.post('/staff/:id/link', {}, ({ req, actor }) => sendAccountLink(db, actor, numericId(req), links()));

  return api.router;
}
