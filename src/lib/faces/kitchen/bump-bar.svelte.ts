import { nextStatus } from '../../domain/order-states.ts';
import { keyAction } from './bump-keys.ts';
import { recallableUntil } from './recall-last.ts';
import { linesShown } from './station-view.ts';
import { BUMP } from './kitchen-hands.svelte.ts';
import type { KitchenScreen } from './kitchen-screen.svelte.ts';

/**
 * The bump bar (or a keyboard) on the kitchen screen: a ticket picked by its place on the screen
 * (bump-keys.ts), then bumped, crossed off, recalled or its recipe opened with a key; `?` shows the
 * keys. Created by the KitchenScreen.
 */
export class BumpBar {
  /** A key has been used: each ticket shows the key that picks it. */
  used = $state(false);
  help = $state(false);
  private readonly k: KitchenScreen;

  constructor(k: KitchenScreen) {
    this.k = k;
  }

  press(e: KeyboardEvent) {
    const { k } = this;
    const { wall, hands, sound } = k;
    if (e.ctrlKey || e.metaKey || e.altKey || (e.target as HTMLElement | null)?.closest('input, textarea, select')) return;
    wall.handsOn();
    if (e.key === '?') {
      this.help = !this.help;
      return;
    }
    const selectable = wall.selectable;
    const index = k.picked ? selectable.findIndex((o) => o.id === k.picked) : -1;
    const action = keyAction(e.key, index < 0 ? null : index, wall.spots);
    if (!action) return;
    e.preventDefault();
    this.used = true;
    if (action.kind === 'sound') return sound.toRestore && !sound.on ? sound.restore() : sound.toggle();
    if (action.kind === 'last') return void hands.recallLast();
    if (action.kind === 'page') return wall.goTo(wall.make, wall.make.page + action.delta);
    if (action.kind === 'select') {
      const o = selectable[action.index];
      k.picked = o.id;
      k.touch(o.id);
      document.querySelector(`article[data-order="${o.id}"]`)?.scrollIntoView({ block: 'nearest' });
      return;
    }
    const o = selectable[index];
    const next = o.status === 'cancelled' ? null : nextStatus(o.status, o.fulfilment);
    if (action.kind === 'cross' || action.kind === 'uncross') {
      const lines = linesShown(o, k.view, k.stations);
      const line = action.kind === 'cross' ? lines.find((l) => !l.item.doneAt) : lines.findLast((l) => l.item.doneAt);
      if (line && o.status !== 'cancelled') void hands.crossLine(o, line.item, action.kind === 'cross');
    } else if (action.kind === 'recall') {
      if (recallableUntil(o, Date.now(), k.undoMs)) hands.recall(o);
    } else if (action.kind === 'bump' && k.view.kind === 'make' && o.status === 'preparing') hands.doneHere(o);
    else if (action.kind === 'bump' && next && BUMP[next] && !(next === 'collected' && o.amountDueCents > 0)) hands.bump(o, next);
    else if (action.kind === 'pay' && next === 'collected') hands.bump(o, next, action.method);
    else if (action.kind === 'seen' && o.status !== 'cancelled') k.board.acknowledge(o.id);
    else if (action.kind === 'remove' && o.status === 'cancelled') k.board.acknowledge(o.id);
    else if (action.kind === 'recipe') {
      // each press opens the next line's recipe, then closes
      const at = k.openRecipe?.startsWith(`${o.id}-`) ? Number(k.openRecipe.slice(o.id.length + 1)) + 1 : 0;
      k.openRecipe = at < o.items.length && k.recipes.has(o.items[at].productId) ? `${o.id}-${at}` : null;
    }
  }
}
