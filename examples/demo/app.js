document.title += ' (' + new Date().toISOString() + ')';
