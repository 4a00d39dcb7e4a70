import { getContext, setContext } from 'svelte';
import type { I18n } from './core.ts';

const KEY = Symbol('i18n');
export const setI18n = (i: I18n) => setContext(KEY, i);
export const getI18n = () => getContext<I18n>(KEY);
