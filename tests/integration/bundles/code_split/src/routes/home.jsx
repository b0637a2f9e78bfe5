import { memo } from 'react';

export default memo(function Home() {
  return <h1>Welcome</h1>;
});
