/**
 * Series colours (matplotlib's tab10) for every chart ai-art draws: the PNG loss plots and the
 * studio's charts, so a series keeps its colour in both. No dependencies: the page imports it.
 */
export const PALETTE: readonly string[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
