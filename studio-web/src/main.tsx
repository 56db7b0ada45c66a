/** The studio's page: a nav bar and one page per technique (hash routes). */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ObjectSchema } from './api.js';
import { useRoute } from './router.js';
import { StylePage } from './pages/Style.js';
import { GalleryPage } from './pages/Gallery.js';
import { TranslatePage } from './pages/Translate.js';
import { ExplorePage } from './pages/Explore.js';
import { DashboardPage } from './pages/Dashboard.js';
import { FastPage } from './pages/Fast.js';
import './style.css';

const PAGES = [
  ['style', 'Style transfer'],
  ['fast', 'Fast styles'],
  ['explore', 'Layer explorer'],
  ['translate', 'Translate'],
  ['dashboard', 'Training'],
  ['gallery', 'Gallery'],
] as const;

function App() {
  const route = useRoute();
  const [schema, setSchema] = useState<ObjectSchema | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<ObjectSchema>('/api/schemas/style').then(setSchema, (e: Error) => setError(e.message));
  }, []);
  let page;
  switch (route.page) {
    case 'gallery':
      page = <GalleryPage />;
      break;
    case 'translate':
      page = <TranslatePage />;
      break;
    case 'explore':
      page = <ExplorePage />;
      break;
    case 'dashboard':
      page = <DashboardPage />;
      break;
    case 'fast':
      page = <FastPage />;
      break;
    default:
      page = schema ? <StylePage schema={schema} /> : <div class="placeholder">{error ?? 'loading…'}</div>;
  }
  return (
    <>
      <header>
        <span class="brand">ai-art studio</span>
        <nav>
          {PAGES.map(([k, label]) => (
            <a href={`#/${k}`} class={route.page === k || (k === 'style' && !PAGES.some(([p]) => p === route.page)) ? 'on' : ''}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
