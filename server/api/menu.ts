// The chain's menu, kept by head office: products and their recipes, options, categories,
// ingredients and their allergens; and the audit log of every change in the back office.
import express from 'express';
import { auditQuery, categoryCreateSchema, categoryMoveSchema, categorySchema, ingredientCreateSchema, ingredientSchema, optionSchema, productCreateSchema, productSchema } from '../../src/lib/shapes/back-office-requests.ts';
import { searchAudit } from '../../src/lib/server/kernel/audit.ts';
import { MAX_UPLOAD_BYTES } from '../../src/lib/server/shops/media.ts';
import {
  createCategory, createIngredient, createOption, createProduct, deleteCategory, deleteOption, getProduct, listCategoryRecords, listIngredients, listProducts,
  moveCategory, setProductPhoto, updateCategory, updateIngredient, updateOption, updateProduct,
} from '../../src/lib/server/menu/index.ts';
import { Routes, created, noContent, numericId, type ApiContext } from './kit.ts';
import { can } from '../../src/lib/domain/permissions.ts';

export function menuRoutes(ctx: ApiContext) {
  const { db } = ctx;
  const api = new Routes(ctx);
  const headOffice = api.staff(can.runChain);

  headOffice.get('/menu/products', {}, () => listProducts(db));
  headOffice.get('/menu/products/:id', {}, ({ req }) => getProduct(db, numericId(req)));
  headOffice.put('/menu/products/:id', { body: productSchema }, ({ req, actor, body }) => updateProduct(db, actor, numericId(req), body));
  headOffice.post('/menu/products', { body: productCreateSchema }, async ({ actor, body }) => created(await createProduct(db, actor, body)));
  const photo = express.raw({ type: () => true, limit: MAX_UPLOAD_BYTES });
  headOffice.post('/menu/products/:id/photo', { use: [photo] }, ({ req, actor }) =>
    setProductPhoto(db, ctx.media, actor, numericId(req), Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)),
  );

  headOffice.post('/menu/products/:id/options', { body: optionSchema }, async ({ req, actor, body }) => created(await createOption(db, actor, numericId(req), body)));
  headOffice.put('/menu/options/:id', { body: optionSchema }, ({ req, actor, body }) => updateOption(db, actor, numericId(req), body));
  headOffice.delete('/menu/options/:id', {}, async ({ req, actor }) => {
    await deleteOption(db, actor, numericId(req));
    return noContent();
  });

  headOffice.get('/menu/categories', {}, () => listCategoryRecords(db));
  headOffice.post('/menu/categories', { body: categoryCreateSchema }, async ({ actor, body }) => created(await createCategory(db, actor, body)));
  headOffice.put('/menu/categories/:id', { body: categorySchema }, ({ req, actor, body }) => updateCategory(db, actor, numericId(req), body));
  headOffice.post('/menu/categories/:id/move', { body: categoryMoveSchema }, ({ req, actor, body }) => moveCategory(db, actor, numericId(req), body.direction));
  headOffice.delete('/menu/categories/:id', {}, async ({ req, actor }) => {
    await deleteCategory(db, actor, numericId(req));
    return noContent();
  });

  api.staff(can.cook).get('/menu/ingredients', {}, () => listIngredients(db));
  headOffice.put('/menu/ingredients/:id', { body: ingredientSchema }, ({ req, actor, body }) => updateIngredient(db, actor, numericId(req), body));
  headOffice.post('/menu/ingredients', { body: ingredientCreateSchema }, async ({ actor, body }) => created(await createIngredient(db, actor, body)));

  headOffice.get('/audit', { query: auditQuery }, ({ query: q }) => searchAudit(db, { text: q.q, entity: q.entity, page: q.page, pizzeriaId: q.shop }));

  return api.router;
}
