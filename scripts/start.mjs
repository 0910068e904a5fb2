console.log('signoff: the server is not built yet');
