export function FilterBar({ tags, activeTag, onSelect, total, visible, fmt }) {
  return (
    <section className="filter-bar">
      <div className="filter-tags" role="group" aria-label="Filter by tag">
        <button type="button" aria-pressed={activeTag === null} onClick={() => onSelect(null)}>
          {`All (${fmt.count(total)})`}
        </button>
        {tags.map(({ tag, count }) => (
          <button
            key={tag}
            type="button"
            data-tag={tag}
            aria-pressed={activeTag === tag}
            onClick={() => onSelect(tag)}
          >
            {`${tag} (${fmt.count(count)})`}
          </button>
        ))}
      </div>
      <p className="filter-summary" data-testid="filter-summary">
        {`Showing ${fmt.count(visible)} of ${fmt.count(total)} products`}
      </p>
    </section>
  );
}
