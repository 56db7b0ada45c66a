/** Hash routes (#/style?job=ID): a reload or a shared link comes back to the same view. */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: string;
  params: URLSearchParams;
}

function parse(): Route {
  const h = location.hash.replace(/^#\/?/, '');
  const [page, q] = h.split('?');
  return { page: page || 'style', params: new URLSearchParams(q ?? '') };
}

export function navigate(to: string): void {
  location.hash = `#${to.startsWith('/') ? to : `/${to}`}`;
}

export function useRoute(): Route {
  const [r, setR] = useState(parse);
  useEffect(() => {
    const on = () => setR(parse());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return r;
}
