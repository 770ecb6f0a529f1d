/** Hands the stores to components through context, so tests can render any screen with fake stores. */
import { createContext, useContext, type ReactNode } from 'react';
import type { AppStores } from './app-stores';

const StoresContext = createContext<AppStores | null>(null);

/** Makes `stores` available to everything below it. */
export function StoresProvider({
  stores,
  children,
}: {
  readonly stores: AppStores;
  readonly children: ReactNode;
}) {
  return <StoresContext.Provider value={stores}>{children}</StoresContext.Provider>;
}

/** The app's stores; throws when rendered outside a StoresProvider, which is a wiring bug. */
export function useStores(): AppStores {
  const stores = useContext(StoresContext);
  if (stores === null) throw new Error('useStores must be used inside <StoresProvider>.');
  return stores;
}
